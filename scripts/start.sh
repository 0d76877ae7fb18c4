# `npm start`: obtains and starts the whole system — the stack from stack.sh, the Temporal worker and the
# HTTP API — prints where everything is, and stops what it started on Ctrl-C.
# shellcheck shell=bash
# shellcheck source=scripts/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

trap 'log "stopping"; stop_started' EXIT
trap 'exit 130' INT TERM

stack_up dev # exports PORT: 3000 plus POOLFLOW_PORT_OFFSET unless set
port_open "$PORT" && die "port $PORT is taken: stop what is using it, or set PORT (or POOLFLOW_PORT_OFFSET)."
spawn "worker" "$DATA_DIR/logs/worker.log" node --import tsx workers/main.ts
spawn "API :$PORT" "$DATA_DIR/logs/api.log" node --import tsx api/main.ts
wait_port "$PORT" API 60 "$DATA_DIR/logs/api.log"

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 || die "the API is not ready: $(curl -sS "http://127.0.0.1:$PORT/readyz")"

stack_summary
log "  API             http://localhost:$PORT  (ready: /readyz)"
log "  logs            .data/logs/"
log "Poolflow is running; press Ctrl-C to stop."

# Stop everything as soon as the worker or the API dies, so a crash is never silent.
while :; do
  for entry in "${STARTED_PIDS[@]}"; do
    kill -0 "${entry#*:}" 2>/dev/null || die "a process exited (pid ${entry#*:}); see .data/logs/"
  done
  sleep 2 & wait $!
done
