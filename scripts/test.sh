# `npm test`: obtains and starts a private test stack (its own ports, a fresh database, an in-memory
# Temporal dev server, the time-skipping test server), runs lint, the type check and every test with
# Node's test runner, and tears the stack down again.
# shellcheck shell=bash
# shellcheck source=scripts/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

trap 'stop_started' EXIT
trap 'exit 130' INT TERM

stack_up test
ensure_temporal_test_server
export POOLFLOW_TEST=1

cd "$ROOT"
log "lint"
npx --no-install eslint . || die "lint failed"
log "type check"
npx --no-install tsc --noEmit -p tsconfig.json || die "type check failed"

mapfile -t files < <(find . -path ./node_modules -prune -o -path ./.tools -prune -o -path ./.data -prune -o \
  -name '*.test.ts' -print | sort)
[ ${#files[@]} -gt 0 ] || die "no test files found"
log "running ${#files[@]} test files"
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=300000 \
  --test-reporter=spec "${files[@]}"
