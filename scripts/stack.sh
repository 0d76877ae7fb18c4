# Brings up the infrastructure Poolflow runs on — Temporal (with its Web UI), PostgreSQL, Redis, and
# stripe-mock behind the Stripe test-mode sandbox (tools/stripe-sandbox/) — for one of two profiles: `dev`
# (persistent, the usual ports) or `test` (private ports, throwaway data). Each part already reachable
# is reused; anything else is obtained and started here.
# shellcheck shell=bash
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/operations.sh
source "$(dirname "${BASH_SOURCE[0]}")/operations.sh"

# stack_ports dev|test: every port of a profile's stack, shifted by POOLFLOW_PORT_OFFSET so that two
# checkouts run their stacks side by side — the API's (PORT, when not set) and so the webhook URL included.
stack_ports() {
  local offset="${POOLFLOW_PORT_OFFSET:-0}"
  [[ "$offset" =~ ^[0-9]{1,5}$ ]] || die "POOLFLOW_PORT_OFFSET must be a whole number, not '$offset'"
  if [ "$1" = dev ]; then
    pg_port=54320; redis_port=63790; temporal_port=7233; ui_port=8233; stripe_port=12111; sandbox_port=12113
    smtp_port=1025; mail_web_port=8025
    api_port="${PORT:-$((3000 + offset))}"
    webhook_url="http://127.0.0.1:$api_port/v1/webhooks/stripe" # the API's Stripe webhook endpoint
  else
    # Tests serve the API in-process and register their own webhook receivers with the sandbox.
    api_port=""; webhook_url=""
    pg_port=54330; redis_port=63791; temporal_port=17233; ui_port=18233; stripe_port=12121; sandbox_port=12123
    smtp_port=1125; mail_web_port=8125
  fi
  pg_port=$((pg_port + offset)); redis_port=$((redis_port + offset)); temporal_port=$((temporal_port + offset))
  ui_port=$((ui_port + offset)); stripe_port=$((stripe_port + offset)); sandbox_port=$((sandbox_port + offset))
  smtp_port=$((smtp_port + offset)); mail_web_port=$((mail_web_port + offset))
}

# This checkout's webhook signing secret, made once and kept in .data/.
checkout_webhook_secret() {
  local file="$DATA_DIR/webhook-secret"
  if [ ! -s "$file" ]; then
    (umask 077 && printf 'whsec_local_%s\n' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$file")
  fi
  cat "$file"
}

stack_up() { # stack_up dev|test
  local profile="$1"
  DATA_DIR="$ROOT/.data"
  mkdir -p "$DATA_DIR/logs"
  ensure_node_modules

  local pg_port redis_port temporal_port ui_port stripe_port sandbox_port smtp_port mail_web_port api_port webhook_url temporal_db db_name redis_persist
  stack_ports "$profile"
  if [ "$profile" = dev ]; then
    temporal_db="$DATA_DIR/temporal/temporal.db"; db_name=poolflow; redis_persist=yes
    export PORT="$api_port"
  else
    temporal_db=memory; db_name=poolflow_test; redis_persist=no
    export PG_FSYNC=off # throwaway data: durability only slows the suite down
  fi
  # The local stack's secrets are well known; the processes accept them only in development mode.
  export POOLFLOW_MODE="${POOLFLOW_MODE:-development}"

  if [ -z "${DATABASE_URL:-}" ]; then
    start_postgres "postgres-$profile" "$pg_port"
    [ -n "${PG_BIN:-}" ] || PG_BIN="$(find_pg_bindir)"
    [ "${POOLFLOW_FRESH_DB:-0}" = 1 ] && PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U poolflow -d postgres -qc \
      "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null
    ensure_database "$pg_port" "$db_name"
    export DATABASE_URL="postgres://poolflow@127.0.0.1:$pg_port/$db_name"
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    start_redis "redis-$profile" "$redis_port" "$redis_persist"
    export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  fi
  # Without PAYLOAD_ENCRYPTION_KEYS, development mode (above) encrypts payloads with the public development key.
  ops_ports "${POOLFLOW_PORT_OFFSET:-0}"
  if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
    if [ "$profile" = dev ]; then
      # The Web UI decodes payloads through the codec server, which holds the ops token in its URL.
      ensure_codec_token
      start_temporal "temporal-$profile" "$temporal_port" "$ui_port" "$temporal_db" \
        --ui-codec-endpoint "http://localhost:$CODEC_SERVER_PORT/ops/$CODEC_SERVER_TOKEN"
    else
      start_temporal "temporal-$profile" "$temporal_port" "$ui_port" "$temporal_db" --headless
    fi
    export TEMPORAL_ADDRESS="127.0.0.1:$temporal_port"
  fi
  # The app and the sandbox sign and verify webhooks with the same secret, this checkout's own: another
  # checkout's sandbox can never settle this one's payments.
  export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-$(checkout_webhook_secret)}"
  # A real Stripe key without STRIPE_API_URL means real Stripe test mode; otherwise the local sandbox,
  # which validates every request with stripe-mock (STRIPE_MOCK_URL) and adds test-mode behaviour.
  if [ -z "${STRIPE_API_URL:-}" ] && [[ "${STRIPE_SECRET_KEY:-sk_test_local}" == sk_test_local* ]]; then
    start_stripe_mock "$stripe_port" $((stripe_port + 1))
    export STRIPE_MOCK_URL="http://127.0.0.1:$stripe_port"
    start_stripe_sandbox "stripe-sandbox-$profile" "$sandbox_port" "$STRIPE_MOCK_URL" "$webhook_url"
    export STRIPE_API_URL="http://127.0.0.1:$sandbox_port"
    export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_local}"
  fi
  export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
  # Outgoing email goes to the local mail catcher unless SMTP_URL names a real relay.
  if [ -z "${SMTP_URL:-}" ]; then
    start_mailpit "mailpit-$profile" "$smtp_port" "$mail_web_port"
    export SMTP_URL="smtp://127.0.0.1:$smtp_port"
    export MAIL_CATCHER_URL="http://127.0.0.1:$mail_web_port"
  fi

  [ "$profile" = dev ] && export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://localhost:$ui_port}"
  env | grep -E '^(DATABASE_URL|REDIS_URL|TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|TEMPORAL_UI_URL|STRIPE_API_URL|STRIPE_MOCK_URL|STRIPE_SECRET_KEY|STRIPE_WEBHOOK_SECRET|POOLFLOW_MODE|PORT|SMTP_URL|MAIL_CATCHER_URL)=' \
    | sed 's/^/export /' >"$DATA_DIR/$profile.env"
  (cd "$ROOT" && node --import tsx db/migrate-cli.ts) || die "database migrations failed"
  (cd "$ROOT" && node --import tsx temporal-config/register-cli.ts) || die "registering search attributes failed"
  if [ "$profile" = dev ]; then
    ensure_codec_token
    start_codec_server "http://localhost:$ui_port"
    start_prometheus
  else
    ensure_prometheus # promtool, for the alert rule tests
  fi
}

stack_summary() {
  log "stack is up:"
  log "  Temporal        ${TEMPORAL_ADDRESS}  (namespace ${TEMPORAL_NAMESPACE})"
  [ -n "${TEMPORAL_UI_URL:-}" ] && log "  Temporal Web UI ${TEMPORAL_UI_URL}  (payloads decoded by the codec server on :${CODEC_SERVER_PORT})"
  [ -n "${PROMETHEUS_URL:-}" ] && log "  Prometheus      ${PROMETHEUS_URL}"
  log "  PostgreSQL      ${DATABASE_URL}"
  log "  Redis           ${REDIS_URL}"
  log "  Email (SMTP)    ${SMTP_URL}"
  [ -n "${MAIL_CATCHER_URL:-}" ] && log "  Mail catcher    ${MAIL_CATCHER_URL}  (web inbox; API under /api/v1/)"
  log "  Stripe          ${STRIPE_API_URL:-https://api.stripe.com (test mode)}"
  if [ -n "${STRIPE_MOCK_URL:-}" ]; then
    log "  Stripe sandbox  control API ${STRIPE_API_URL}/__sandbox/ (validated by stripe-mock ${STRIPE_MOCK_URL})"
  fi
}

# Run on its own (`npm run stack [-- test]`), the stack comes up and stays in the foreground until
# Ctrl-C; its variables are also written to .data/<profile>.env for other shells to source.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  profile="${1:-dev}"
  [[ "$profile" == dev || "$profile" == test ]] || die "usage: stack.sh [dev|test]"
  trap 'log "stopping"; stop_started' EXIT
  trap 'exit 130' INT TERM
  stack_up "$profile"
  stack_summary
  log "press Ctrl-C to stop what was started here"
  while :; do sleep 3600 & wait $!; done
fi
