#!/usr/bin/env bash
# Installs what the test suite needs and this machine lacks. Idempotent; safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

need_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "test-deps: installing Node.js and npm"
    apt_install nodejs npm
  fi
}

# PostgreSQL server binaries: the PostgreSQL tests start their own throwaway cluster from them.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  echo "test-deps: installing PostgreSQL server binaries"
  apt_install postgresql
fi

# Debian's Chromium drives the browser tests through Playwright (no browser download); without the
# CJK fonts Japanese pages render as empty boxes in screenshots.
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  echo "test-deps: installing Chromium and the Noto CJK fonts"
  apt_install chromium fonts-noto-cjk
fi

# npm packages of the conformance run (openid-client, a certified relying party), pinned by the lock file.
if [ ! -d tests/conformance/node_modules/openid-client ]; then
  need_npm
  echo "test-deps: installing the conformance run's npm packages"
  npm ci --prefix tests/conformance --no-audit --no-fund
fi

# axe-core, which the browser tests inject into pages to check accessibility, pinned by the lock file.
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  need_npm
  echo "test-deps: installing the browser tests' npm packages"
  npm ci --prefix tests/browser --no-audit --no-fund
fi
