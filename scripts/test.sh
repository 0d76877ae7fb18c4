# `npm test`: obtains and starts a private test stack (its own ports, a fresh database, an in-memory
# Temporal dev server, the time-skipping test server), runs lint, the type check and every test with
# Node's test runner, and tears down what it started.
# `npm test -- FILE...` runs only those test files, reusing a test stack already up (`npm run stack -- test`)
# and keeping its data.
# shellcheck shell=bash
# shellcheck source=scripts/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

trap 'stop_started' EXIT
trap 'exit 130' INT TERM

files=("$@")
[ ${#files[@]} -gt 0 ] || export POOLFLOW_FRESH_DB=1
stack_up test
ensure_temporal_test_server

cd "$ROOT"
if [ ${#files[@]} -eq 0 ]; then
  log "lint"
  npx --no-install eslint . || die "lint failed"
  log "unused files, exports and dependencies (knip)"
  npx --no-install knip || die "knip found unused code or dependencies (listed above): delete it, or see knip.json"
  log "formatting (prettier)"
  npx --no-install prettier --check . || die "files above are not formatted: run npm run format"
  log "type check"
  npx --no-install tsc --noEmit -p tsconfig.json || die "type check failed"
  mapfile -t files < <(find . -path ./node_modules -prune -o -path ./.tools -prune -o -path ./.data -prune -o \
    -name '*.test.ts' -print | sort)
  [ ${#files[@]} -gt 0 ] || die "no test files found"
fi
# Chromium only for the Web UI browser test.
if printf '%s\n' "${files[@]}" | grep -q 'web-ui'; then ensure_chromium; fi
log "running ${#files[@]} test files"
# Ten minutes per test file (the timeout holds for each file as a whole): test/pool-scale.test.ts builds
# a 1,000-member pool and runs a round, and the chaos CI profile (test/chaos.test.ts) abandons itself
# after its 7-minute budget; both take minutes on a loaded 2-core machine.
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=600000 \
  --test-reporter=spec "${files[@]}"
