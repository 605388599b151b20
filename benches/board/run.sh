#!/usr/bin/env bash
# Job-board load test: 100,000 active shoppers and 10,000 open jobs in PostgreSQL, 50
# concurrent clients for 30 s with wrk (apt-get install wrk). Needs a PostgreSQL server
# (BENCH_PG, default the local one with trust auth) and a release build:
#   cargo build --release && bash benches/board/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB="$PG/incognito_bench"
BIN=${BIN:-target/release/incognito}
PORT=${BENCH_PORT:-8099}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
DURATION=${BENCH_DURATION:-30s}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS incognito_bench" -c "CREATE DATABASE incognito_bench"
export INCOGNITO_DATA_DIR="$WORK/data" INCOGNITO_DATABASE_URL="$DB" INCOGNITO_BIND="127.0.0.1:$PORT"
export INCOGNITO_DATABASE_POOL_SIZE=${BENCH_POOL:-8} INCOGNITO_LOG=warn
PASSWORD='correct horse battery staple 1'
"$BIN" migrate > /dev/null
"$BIN" create-admin --email bench-admin@bench.test --password "$PASSWORD" > /dev/null
echo "seeding 100,000 shoppers and 10,000 jobs"
time psql "$DB" -q -v ON_ERROR_STOP=1 -f benches/board/seed.sql

"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null && break
  sleep 0.2
done

# Sign in 200 shoppers spread over the metros (each sign-in is one argon2 check).
: > "$WORK/tokens.txt"
for i in $(seq 1 500 100000); do
  curl -fs "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"shopper$i@bench.test\",\"password\":\"$PASSWORD\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' >> "$WORK/tokens.txt"
done
echo "signed in $(wc -l < "$WORK/tokens.txt") shoppers"
TOKEN=$(head -1 "$WORK/tokens.txt")
curl -fs "http://127.0.0.1:$PORT/api/v1/me/jobs" -H "Authorization: Bearer $TOKEN" |
  python3 -c 'import json,sys; b=json.load(sys.stdin); print("a board:", b["total"], "jobs open to the first shopper")'

# Warm up, then measure.
TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d5s -s benches/board/board.lua "http://127.0.0.1:$PORT" > /dev/null
TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/board/board.lua "http://127.0.0.1:$PORT"
