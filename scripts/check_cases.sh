#!/usr/bin/env bash
# Start the service on a free local port, wait for GET /healthz, run the shared
# screening cases against it, stop the server (always), and exit with the checker's status.
#
# Environment: PY (venv python, default .venv/bin/python), CASES (default ../shared/cases),
# CHECK_TOOL (default ../shared/tools/check_cases.py), CHECK_PORT (default: a free port),
# STARTUP_TIMEOUT seconds (default 60).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PY:-.venv/bin/python}
CASES=${CASES:-../shared/cases}
CHECK_TOOL=${CHECK_TOOL:-../shared/tools/check_cases.py}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-60}
HOST=127.0.0.1

[ -x "$PY" ] || { echo "check-cases: $PY not found (run 'make install')" >&2; exit 2; }
[ -f "$CHECK_TOOL" ] || { echo "check-cases: $CHECK_TOOL not found" >&2; exit 2; }
[ -e "$CASES" ] || { echo "check-cases: $CASES not found" >&2; exit 2; }

PORT=${CHECK_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
BASE="http://$HOST:$PORT"
log=$(mktemp "${TMPDIR:-/tmp}/chizai-check-cases.XXXXXX")
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "check-cases: starting uvicorn app.main:app on $BASE"
"$PY" -m uvicorn app.main:app --host "$HOST" --port "$PORT" >"$log" 2>&1 </dev/null &
pid=$!

up=""
deadline=$(( SECONDS + STARTUP_TIMEOUT ))
while [ "$SECONDS" -lt "$deadline" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "check-cases: the server exited during start-up; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=2)' "$BASE" 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.5
done
if [ -z "$up" ]; then
  echo "check-cases: GET $BASE/healthz did not answer within ${STARTUP_TIMEOUT}s; server log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

echo "check-cases: $PY $CHECK_TOOL $BASE $CASES"
rc=0
"$PY" "$CHECK_TOOL" "$BASE" "$CASES" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "check-cases: failed (exit $rc); last server log lines:" >&2
  tail -n 20 "$log" >&2
fi
exit "$rc"
