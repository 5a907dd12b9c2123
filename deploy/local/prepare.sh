#!/usr/bin/env bash
# Makes sure PostgreSQL and NATS (with JetStream) are installed, running and
# usable by Gerbang on this machine: installs Debian's packages when they are
# missing, starts them when stopped, and creates the `gerbang` database role
# (password `gerbang`, allowed to create databases). Asks no questions; safe
# to run again and again. With --mail-catcher (what `make run` passes) it also
# builds Mailpit, the local mail catcher, into bin/mailpit.
set -euo pipefail
MAIL_CATCHER=""
for arg in "$@"; do
  case "$arg" in
    --mail-catcher) MAIL_CATCHER=1 ;;
    *) printf '[prepare] unknown option %s\n' "$arg" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[prepare]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[prepare]\033[0m %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: run as root, or install sudo"
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
apt_updated=""
install_pkgs() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  log "installing $*"
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 0.5; done
  return 1
}

# --- Go ---------------------------------------------------------------------
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go is needed (1.26 or newer): see https://go.dev/doc/install"

command -v curl >/dev/null || install_pkgs curl ca-certificates

# --- PostgreSQL --------------------------------------------------------------
if ! command -v pg_lsclusters >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  install_pkgs postgresql
fi
command -v psql >/dev/null || install_pkgs postgresql-client
for version in $(ls /etc/postgresql); do
  for cluster in $(ls "/etc/postgresql/$version"); do
    if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
      log "starting PostgreSQL $version/$cluster"
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
    fi
  done
done
wait_port 5432 || die "PostgreSQL does not listen on 127.0.0.1:5432 (see /var/log/postgresql/)"

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}
if ! PGPASSWORD=gerbang PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -U gerbang -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  log "creating PostgreSQL role gerbang"
  as_postgres psql -v ON_ERROR_STOP=1 -d postgres -qc "DO \$\$BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gerbang') THEN
      CREATE ROLE gerbang LOGIN CREATEDB PASSWORD 'gerbang';
    ELSE
      ALTER ROLE gerbang LOGIN CREATEDB PASSWORD 'gerbang';
    END IF; END\$\$;" >/dev/null
  PGPASSWORD=gerbang PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -U gerbang -d postgres -Atqc 'SELECT 1' >/dev/null \
    || die "role gerbang cannot log in over TCP: check pg_hba.conf allows password (scram-sha-256 or md5) or trust for 127.0.0.1"
fi
log "PostgreSQL ready at 127.0.0.1:5432 (role gerbang)"

# --- NATS with JetStream ------------------------------------------------------
nats_bin=$(command -v nats-server || true)
[ -n "$nats_bin" ] || [ -x /usr/sbin/nats-server ] || { install_pkgs nats-server; }
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
if ! listening 4222; then
  log "starting nats-server with JetStream"
  $SUDO mkdir -p /var/lib/nats-server
  $SUDO start-stop-daemon --start --oknodo --background --exec "$nats_bin" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222 || die "nats-server did not start (see /var/log/nats-server.log)"
fi
info=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222; head -n1 <&3' 2>/dev/null || true)
case "$info" in
  *'"jetstream":true'*) ;;
  *) die "a NATS server listens on 127.0.0.1:4222 without JetStream: restart it with -js (e.g. nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server)";;
esac
log "NATS ready at 127.0.0.1:4222 (JetStream on)"

# --- Mailpit, the mail catcher of `make run` ----------------------------------
MAILPIT_VERSION=v1.33.1
if [ -n "$MAIL_CATCHER" ]; then
  cd "$(dirname "$0")/../.."
  if ! go version -m bin/mailpit 2>/dev/null | grep -q "mod[[:space:]]*github.com/axllent/mailpit[[:space:]]*$MAILPIT_VERSION"; then
    log "building Mailpit $MAILPIT_VERSION into bin/mailpit (once; a few minutes)"
    mkdir -p bin
    GOBIN="$PWD/bin" GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@$MAILPIT_VERSION" || die "go install github.com/axllent/mailpit@$MAILPIT_VERSION failed"
  fi
  log "Mailpit ready (bin/mailpit $MAILPIT_VERSION)"
fi
