#!/usr/bin/env bash
# The whole test suite, from a clean clone on a fresh machine: installs what the tests need
# (PostgreSQL server binaries, Chromium with CJK fonts, npm test tools), builds, runs every test
# on SQLite and on a real throwaway PostgreSQL, and ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-deps.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
dotnet test DataTrust.sln --configuration Release --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=normal" || status=$?

# One TRX file per test assembly; add up their counters into the closing line.
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "=\""); v = kv[2] + 0
        if (kv[1] == "passed") p += v; else if (kv[1] == "failed" || kv[1] == "error" || kv[1] == "timeout" || kv[1] == "aborted") f += v; else if (kv[1] == "notExecuted") s += v } }
    END { printf "%d %d %d\n", p, f, s }')
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
