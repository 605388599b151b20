#!/usr/bin/env bash
# Live-index benchmark: seeds PostgreSQL with 1,000,000 active shoppers and 100,000 open jobs
# (benches/board/seed.sql at that size: 50,000 stores of 20 clients around 20 US metros),
# starts the release server on it and reports how long the live index took to build at start
# and the server's resident memory once built (two seconds after) and at its peak. Needs a
# PostgreSQL server (BENCH_PG, default the local one with trust auth); builds what it runs:
#   bash benches/live/run.sh
# Smaller: BENCH_SHOPPERS=100000 BENCH_STORES=5000 bash benches/live/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB="$PG/incognito_live_bench"
BIN=${BIN:-target/release/incognito}
PORT=${BENCH_PORT:-8097}
SHOPPERS=${BENCH_SHOPPERS:-1000000}
STORES=${BENCH_STORES:-50000}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release --bin incognito
fi

if [ -z "${KEEP_DB:-}" ] || ! psql "$DB" -qtAc "SELECT 1" > /dev/null 2>&1; then
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS incognito_live_bench" -c "CREATE DATABASE incognito_live_bench"
  INCOGNITO_DATA_DIR="$WORK/seed" INCOGNITO_DATABASE_URL="$DB" "$BIN" migrate > /dev/null
  INCOGNITO_DATA_DIR="$WORK/seed" INCOGNITO_DATABASE_URL="$DB" "$BIN" create-admin \
    --email bench-admin@bench.test --password 'correct horse battery staple 1' > /dev/null
  echo "seeding $SHOPPERS shoppers and $((STORES * 2)) jobs at $STORES stores"
  # The change log's triggers are not needed for a database the server builds from.
  time psql "$DB" -q -v ON_ERROR_STOP=1 -v shoppers="$SHOPPERS" -v stores="$STORES" \
    -c "SET session_replication_role = replica" -f benches/board/seed.sql
fi

export INCOGNITO_DATA_DIR="$WORK/data" INCOGNITO_DATABASE_URL="$DB" INCOGNITO_BIND="127.0.0.1:$PORT"
export INCOGNITO_LOG=warn,incognito::assignments::live=info INCOGNITO_LOG_FORMAT=json
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1200); do
  grep -q '"live index built"' "$WORK/server.log" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.5
done
sleep 2
python3 - "$WORK/server.log" "/proc/$SERVER/status" <<'PY'
import json, sys
built = next(json.loads(l) for l in open(sys.argv[1]) if '"live index built"' in l)
fields = built.get("fields", built)
status = dict(l.split(":", 1) for l in open(sys.argv[2]))
mib = lambda k: int(status[k].split()[0]) / 1024
print(f"live index: {int(fields['shoppers']):,} shoppers, {int(fields['jobs']):,} jobs, built in {int(fields['ms']):,} ms"
      f" (jobs {int(fields['jobs_ms']):,} ms, shoppers {int(fields['shoppers_ms']):,} ms, the engine's trees the rest)")
print(f"resident: {mib('VmRSS'):,.0f} MiB once built, peak {mib('VmHWM'):,.0f} MiB")
PY
