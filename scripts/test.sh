#!/usr/bin/env bash
# The whole test suite, from a clean clone on a fresh machine: installs what the tests need
# (PostgreSQL server binaries, and later Chromium and npm test tools), builds, runs every test
# on SQLite and on a real throwaway PostgreSQL, and ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-deps.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
dotnet test DataTrust.sln --configuration Release --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# dotnet test prints one "Passed!/Failed! - Failed: a, Passed: b, Skipped: c" line per test assembly.
totals=$(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" \
  | awk -F'[:,] *' '{f+=$2; p+=$4; s+=$6} END {printf "%d %d %d", p, f, s}')
read -r passed failed skipped <<<"${totals:-0 0 0}"
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
