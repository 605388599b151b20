#!/usr/bin/env bash
# Job-board load test: 100,000 active shoppers and 10,000 open jobs in PostgreSQL, 50
# concurrent clients with wrk (apt-get install wrk), and the same load on a bare actix-web
# handler answering a fixed page of the board (benches/board/bare.rs, the same bytes, workers
# and allocator), in the same run: alternating rounds, BENCH_ROUNDS (5) of
# BENCH_ROUND_DURATION (10s) each; prints every round, both totals and their ratio. Needs a
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
ROUNDS=${BENCH_ROUNDS:-5}
ROUND_DURATION=${BENCH_ROUND_DURATION:-10s}
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

# Each warmed up, then measured in alternating rounds (board, bare, board, bare, …), so that a
# machine whose speed drifts (other tenants of the host) slows both alike; each round's
# figures, then the totals: requests over the rounds' time, the worst round's p99.
load() {
  TOKENS="$WORK/tokens.txt" wrk -t2 -c"$CONNECTIONS" -d"$2" --latency -s benches/board/board.lua "$1" > "$3"
}
load "http://127.0.0.1:$PORT" 5s /dev/null
load "http://127.0.0.1:$BARE_PORT" 5s /dev/null
for round in $(seq "$ROUNDS"); do
  load "http://127.0.0.1:$PORT" "$ROUND_DURATION" "$WORK/board.$round.txt"
  load "http://127.0.0.1:$BARE_PORT" "$ROUND_DURATION" "$WORK/bare.$round.txt"
done
curl -fs "http://127.0.0.1:$PORT/metrics" | grep '^incognito_sessions_from' || true

echo
echo "== board ($CONNECTIONS connections, $ROUNDS rounds of $ROUND_DURATION, $WORKERS workers), last round"
cat "$WORK/board.$ROUNDS.txt"
echo
echo "== bare handler, last round"; cat "$WORK/bare.$ROUNDS.txt"
echo
python3 - "$WORK" "$ROUNDS" <<'PY'
import re, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def read(path):
    text = open(path).read()
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m)\b", text, re.M)
    requests = int(m.group(1))
    seconds = float(m.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(3)]
    errors = int(re.search(r"^requests \d+, errors (\d+)", text, re.M).group(1))
    p99 = float(re.search(r"^p99 ([\d.]+) ms", text, re.M).group(1))
    return requests, seconds, errors, p99
board = [read(f"{work}/board.{r}.txt") for r in range(1, rounds + 1)]
bare = [read(f"{work}/bare.{r}.txt") for r in range(1, rounds + 1)]
for r, (b, y) in enumerate(zip(board, bare), 1):
    print(f"round {r}: board {b[0] / b[1]:,.0f} requests/s (p99 {b[3]:.2f} ms), "
          f"bare {y[0] / y[1]:,.0f} (p99 {y[3]:.2f} ms): {100 * (b[0] / b[1]) / (y[0] / y[1]):.1f}%")
def total(runs):
    return sum(r[0] for r in runs) / sum(r[1] for r in runs), max(r[3] for r in runs), sum(r[2] for r in runs)
(b_rps, b_p99, b_err), (y_rps, y_p99, y_err) = total(board), total(bare)
print(f"board: {b_rps:,.0f} requests/s, p99 {b_p99:.2f} ms (worst round), {b_err} errors")
print(f"bare handler: {y_rps:,.0f} requests/s, p99 {y_p99:.2f} ms (worst round), {y_err} errors")
print(f"ratio: {100 * b_rps / y_rps:.1f}% of the bare handler")
PY
