#!/usr/bin/env bash
# Side-by-side figures: DataTrust (Release build, SQLite, Development demo clients, rate limit raised)
# and oidc-provider on the same machine, same client_credentials load. Loopback only; both stop at the end.
#   bash bench/oidc/run.sh [requests] [concurrency]
set -euo pipefail
cd "$(dirname "$0")"
requests=${1:-2000}
concurrency=${2:-16}
[ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund
dotnet build ../../src/DataTrust.Web -c Release -v quiet -nologo >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

ASPNETCORE_ENVIRONMENT=Development DataTrust__DataDirectory="$work/data" Logging__LogLevel__Default=Warning \
  RateLimiting__Sensitive__Burst=1000000 RateLimiting__Sensitive__PermitsPerMinute=60000000 \
  dotnet ../../src/DataTrust.Web/bin/Release/net10.0/DataTrust.Web.dll --urls http://127.0.0.1:5480 >"$work/datatrust.log" 2>&1 &
pids+=($!)
node peer.mjs 5481 >"$work/peer.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  curl -sf http://127.0.0.1:5480/health/ready >/dev/null && curl -sf http://127.0.0.1:5481/.well-known/openid-configuration >/dev/null && break
  sleep 1
done

echo "== DataTrust (SQLite; one access_tokens row per token)"
node load.mjs http://127.0.0.1:5480 demo-provider demo-provider-secret "$requests" "$concurrency"
echo "== oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version") (in-memory adapter; JWT access tokens)"
node load.mjs http://127.0.0.1:5481 bench-client bench-secret "$requests" "$concurrency"
