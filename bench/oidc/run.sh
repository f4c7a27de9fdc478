#!/usr/bin/env bash
# Side-by-side figures: DataTrust (Release build, Development demo clients, rate limit raised) and
# oidc-provider on the same machine, same load (client_credentials tokens, introspection, discovery).
# Loopback only; everything started here stops at the end.
#   bash bench/oidc/run.sh [seconds per endpoint] [connections, e.g. 16 or 16,64] [sqlite|postgres]   (each endpoint is warmed up for 15 s at the largest count: .NET tiers its hot code up over the first seconds; then one measured run per count)
# postgres: a throwaway local cluster (initdb/pg_ctl, default durability: fsync and synchronous_commit on).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
connections=${2:-16}
store=${3:-sqlite}
[ -d node_modules/oidc-provider ] && [ -d node_modules/autocannon ] || npm ci --no-audit --no-fund
dotnet build ../../src/DataTrust.Web -c Release -v quiet -nologo >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

storage=()
if [ "$store" = postgres ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  runas=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$work"; runas=(runuser -u postgres --); fi
  "${runas[@]}" "$bin/initdb" -D "$work/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  "${runas[@]}" "$bin/pg_ctl" start -w -D "$work/pg" -l "$work/pg.log" -o "-p 55480 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c max_connections=200" >/dev/null
  cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; "${runas[@]}" "$bin/pg_ctl" stop -m fast -D "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
  "${runas[@]}" "$bin/createdb" -h 127.0.0.1 -p 55480 -U postgres datatrust
  storage=(Storage__Provider=Postgres "ConnectionStrings__DataTrust=Host=127.0.0.1;Port=55480;Username=postgres;Database=datatrust")
fi

env "${storage[@]}" ASPNETCORE_ENVIRONMENT=Development DataTrust__DataDirectory="$work/data" Logging__LogLevel__Default=Warning \
  RateLimiting__Sensitive__Burst=1000000 RateLimiting__Sensitive__PermitsPerMinute=60000000 \
  dotnet ../../src/DataTrust.Web/bin/Release/net10.0/DataTrust.Web.dll --urls http://127.0.0.1:5480 >"$work/datatrust.log" 2>&1 &
pids+=($!)
node peer.mjs 5481 >"$work/peer.log" 2>&1 &
pids+=($!)
peers=(5481)
if [ "$store" = postgres ]; then
  "${runas[@]}" "$bin/createdb" -h 127.0.0.1 -p 55480 -U postgres peer
  node peer.mjs 5482 postgresql://postgres@127.0.0.1:55480/peer >"$work/peer-postgres.log" 2>&1 &
  pids+=($!)
  peers+=(5482)
fi
for _ in $(seq 1 60); do
  ready=1
  curl -sf http://127.0.0.1:5480/health/ready >/dev/null || ready=0
  for port in "${peers[@]}"; do curl -sf "http://127.0.0.1:$port/.well-known/openid-configuration" >/dev/null || ready=0; done
  [ $ready = 1 ] && break
  sleep 1
done

echo "== DataTrust ($store; one access_tokens row and one audit entry per token)"
node load.mjs http://127.0.0.1:5480 demo-provider demo-provider-secret "$seconds" "$connections"
echo "== oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version") (in-memory adapter; JWT access tokens)"
node load.mjs http://127.0.0.1:5481 bench-client bench-secret "$seconds" "$connections" http://127.0.0.1:5481/opaque
if [ "$store" = postgres ]; then
  echo "== oidc-provider (PostgreSQL adapter on the same cluster, as DataTrust: opaque access tokens, one committed row per token)"
  node load.mjs http://127.0.0.1:5482 bench-client bench-secret "$seconds" "$connections"
fi
