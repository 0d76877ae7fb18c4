# `npm run chaos`: starts a private test stack (its own ports: POOLFLOW_PORT_OFFSET, plus a fresh
# database), runs the chaos suite against it (scripts/chaos.ts, arguments passed on), and stops it.
# shellcheck shell=bash
# shellcheck source=scripts/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

trap 'stop_started' EXIT
trap 'exit 130' INT TERM

stack_up test
cd "$ROOT"
node --import tsx scripts/chaos.ts "$@"
