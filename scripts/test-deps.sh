#!/usr/bin/env bash
# Installs what the test suite needs and this machine lacks. Idempotent; safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# PostgreSQL server binaries: the PostgreSQL tests start their own throwaway cluster from them.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  echo "test-deps: installing PostgreSQL server binaries"
  apt_install postgresql
fi
