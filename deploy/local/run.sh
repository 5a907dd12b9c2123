#!/usr/bin/env bash
# Starts the four Gerbang services as separate processes, their logs in this
# terminal, waits until each is ready, loads the demo data, and prints where
# to open them. Ctrl-C stops them all. Run through `make run`.
set -uo pipefail
cd "$(dirname "$0")/../.."

declare -A PORTS=([portal]=8080 [licensing]=8081 [tender]=8082 [payment]=8083)
ORDER=(portal licensing tender payment)
COLORS=(35 32 33 36)
pids=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "[run] stopping: ${ORDER[*]}"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  echo "[run] stopped"
}
trap stop_all INT TERM EXIT

# Mailpit catches the portal's mail: SMTP on MAIL_SMTP_PORT, its web UI on MAIL_UI_PORT.
MAIL_SMTP_PORT=1025 MAIL_UI_PORT=8025
for port in "${PORTS[@]}" "$MAIL_SMTP_PORT" "$MAIL_UI_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "[run] port $port is already taken: is Gerbang (or something else) running already?" >&2
    exit 1
  fi
done

mkdir -p var/mailpit
bin/mailpit --smtp "127.0.0.1:$MAIL_SMTP_PORT" --listen "127.0.0.1:$MAIL_UI_PORT" --database var/mailpit/mailpit.db \
  --disable-version-check > >(sed -u "s/^/$(printf '\033[34m[%-9s]\033[0m ' mailpit)/") 2>&1 &
pids+=($!)
export SANDBOX_GATEWAY="${SANDBOX_GATEWAY:-true}" DEMO_ACCOUNTS="${DEMO_ACCOUNTS:-true}"
export SMTP_ADDR="${SMTP_ADDR:-127.0.0.1:$MAIL_SMTP_PORT}"
i=0
for s in "${ORDER[@]}"; do
  color=${COLORS[$i]}; i=$((i+1))
  DATA_DIR="var/$s" HTTP_ADDR="127.0.0.1:${PORTS[$s]}" \
    "bin/$s" > >(sed -u "s/^/$(printf '\033[%sm[%-9s]\033[0m ' "$color" "$s")/") 2>&1 &
  pids+=($!)
done

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/readyz" 2>/dev/null; }
for _ in $(seq 1 60); do ready "$MAIL_UI_PORT" && break; sleep 0.5; done
ready "$MAIL_UI_PORT" || { echo "[run] Mailpit did not become ready: see its log above" >&2; exit 1; }
for s in "${ORDER[@]}"; do
  for _ in $(seq 1 120); do
    ready "${PORTS[$s]}" && break
    sleep 0.5
  done
  ready "${PORTS[$s]}" || { echo "[run] $s did not become ready: see its log above" >&2; exit 1; }
done

echo "[run] loading the demo data (a minute: one demo tender waits for its bid deadline to pass)"
bin/demo -portal http://127.0.0.1:8080 -statement var/demo/rekening-koran.csv || echo "[run] the demo data could not be loaded completely (see above)" >&2

cat <<MSG

  Gerbang is running.

    Portal (web UI)   http://127.0.0.1:8080/
    Licensing API     http://127.0.0.1:8081/   (contract: api/licensing.yaml)
    Tender API        http://127.0.0.1:8082/   (contract: api/tender.yaml)
    Payment API       http://127.0.0.1:8083/   (contract: api/payment.yaml)
    Mail (Mailpit)    http://127.0.0.1:$MAIL_UI_PORT/   every mail the portal sends (sign-up links, password resets), SMTP at 127.0.0.1:$MAIL_SMTP_PORT

  Health: /healthz, /readyz and /metrics on each.
  A token for any role:  go run ./pkg/cmd/devtoken -role auditor
$( [ -f var/portal/demo-logins.txt ] && sed 's/^/  /' var/portal/demo-logins.txt )

  A bank statement for the finance officer (keuangan@) to reconcile: var/demo/rekening-koran.csv
  Sign up at http://127.0.0.1:8080/signup and open the verification link from the mail in Mailpit.
  Press Ctrl-C to stop them all.
MSG
wait
