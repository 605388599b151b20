#!/usr/bin/env bash
# Job-board load test: 100,000 active shoppers and 10,000 open jobs in PostgreSQL, 50
# concurrent clients for 30 s with wrk (apt-get install wrk), then the same load on a bare
# actix-web handler answering a fixed page of the board (benches/board/bare.rs, the same
# bytes, workers and allocator), in the same run; prints both and their ratio. Needs a
# PostgreSQL server (BENCH_PG, default the local one with trust auth); builds what it runs:
#   bash benches/board/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB="$PG/incognito_bench"
BIN=${BIN:-target/release/incognito}
BARE=${BARE:-target/release/examples/bare_board}
PORT=${BENCH_PORT:-8099}
BARE_PORT=${BENCH_BARE_PORT:-8098}
WORKERS=${BENCH_WORKERS:-$(nproc)}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
DURATION=${BENCH_DURATION:-30s}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" "${BARE_SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release --bin incognito --example bare_board
fi

psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS incognito_bench" -c "CREATE DATABASE incognito_bench"
export INCOGNITO_DATA_DIR="$WORK/data" INCOGNITO_DATABASE_URL="$DB" INCOGNITO_BIND="127.0.0.1:$PORT"
export INCOGNITO_DATABASE_POOL_SIZE=${BENCH_POOL:-8} INCOGNITO_LOG=warn
export INCOGNITO_HTTP_WORKERS=$WORKERS
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
curl -fs "http://127.0.0.1:$PORT/api/v1/me/jobs" -H "Authorization: Bearer $TOKEN" > "$WORK/page.json"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("a board:", b["total"], "jobs open to the first shopper,", len(b["jobs"]), "on its first page")' "$WORK/page.json"

# The yardstick: the same page's bytes from a bare handler.
BARE_PAGE="$WORK/page.json" BARE_BIND="127.0.0.1:$BARE_PORT" BARE_WORKERS=$WORKERS "$BARE" &
BARE_SERVER=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$BARE_PORT/api/v1/me/jobs" > /dev/null && break
  sleep 0.1
done

# Each: warm up, then measure.
load() {
  TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d5s -s benches/board/board.lua "$1" > /dev/null
  TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/board/board.lua "$1" > "$2"
}
load "http://127.0.0.1:$PORT" "$WORK/board.txt"
curl -fs "http://127.0.0.1:$PORT/metrics" | grep '^incognito_sessions_from' || true
load "http://127.0.0.1:$BARE_PORT" "$WORK/bare.txt"

rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
p99() { awk '$1 == "p99" {print $2}' "$1"; }
errors() { awk '/^requests / {print $4}' "$1" | tr -d ' '; }
echo
echo "== board ($CONNECTIONS connections, $DURATION, $WORKERS workers)"; cat "$WORK/board.txt"
echo
echo "== bare handler"; cat "$WORK/bare.txt"
echo
python3 - "$(rps "$WORK/board.txt")" "$(rps "$WORK/bare.txt")" "$(p99 "$WORK/board.txt")" "$(p99 "$WORK/bare.txt")" <<'PY'
import sys
board, bare, board_p99, bare_p99 = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"board: {board:,.0f} requests/s, p99 {board_p99} ms")
print(f"bare handler: {bare:,.0f} requests/s, p99 {bare_p99} ms")
print(f"ratio: {100 * board / bare:.1f}% of the bare handler")
PY
