#!/usr/bin/env bash
# Idempotent set-up shared by `make run`, `make test` and `make bench`.
# Installs only what is missing: system packages (GDAL/GEOS, PostgreSQL + PostGIS, Chromium for
# images, WeasyPrint's libraries), the virtualenv with the locked dependencies, the database.
# Usage: scripts/setup.sh [--with-browser]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DB_NAME=${NPDA_DB_NAME:-npda}
WITH_BROWSER=0
[ "${1:-}" = "--with-browser" ] && WITH_BROWSER=1

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "run as root or install sudo: system packages are needed"
  SUDO="sudo"
fi
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

APT_UPDATED=0
apt_install() {
  local wanted=() pkg
  for pkg in "$@"; do installed "$pkg" || wanted+=("$pkg"); done
  [ ${#wanted[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${wanted[*]}) and no apt-get to install them"
  log "Installing system packages: ${wanted[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
}

# --- system packages ------------------------------------------------------------------------
base=(gdal-bin)                                   # GDAL + GEOS + PROJ for GeoDjango
"$PYTHON" -c "import ensurepip, venv" 2>/dev/null || base+=(python3-venv)
[ -z "${DATABASE_URL:-}" ] && ! ls /etc/postgresql/*/main >/dev/null 2>&1 && base+=(postgresql)
base+=(chromium)                                  # kaleido draws chart and map images with it
base+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)  # WeasyPrint's PDF reports
[ "$WITH_BROWSER" -eq 1 ] && base+=(chromium-driver poppler-utils)  # browser tests; pdftotext
[ "$WITH_BROWSER" -eq 1 ] && ! command -v npm >/dev/null && base+=(npm)
apt_install "${base[@]}"

# --- local PostgreSQL + PostGIS (only when DATABASE_URL is not given) -------------------------
if [ -z "${DATABASE_URL:-}" ]; then
  cluster=$(pg_lsclusters --no-header 2>/dev/null | head -n 1) || true
  [ -n "$cluster" ] || die "PostgreSQL is installed but has no cluster (pg_createcluster <major> main)"
  major=$(awk '{print $1}' <<<"$cluster")
  name=$(awk '{print $2}' <<<"$cluster")
  apt_install "postgresql-${major}-postgis-3"
  if ! pg_lsclusters --no-header | awk -v n="$name" '$2==n {print $4}' | grep -q online; then
    log "Starting PostgreSQL ${major}/${name}"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$major" "$name" start
  fi
  me=$(id -un)
  if ! as_postgres psql -tAc "select 1 from pg_roles where rolname = '${me}'" | grep -q 1; then
    log "Creating PostgreSQL role ${me}"
    as_postgres createuser --superuser "$me"
  fi
  if ! psql -d postgres -tAc "select 1 from pg_database where datname = '${DB_NAME}'" | grep -q 1; then
    log "Creating database ${DB_NAME}"
    createdb "$DB_NAME"
  fi
  PGOPTIONS="-c client_min_messages=warning" psql -q -d "$DB_NAME" -c "create extension if not exists postgis" >/dev/null
fi

# --- virtualenv with the locked dependencies ------------------------------------------------
stamp=".venv/.installed-$(sha256sum requirements.lock | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || { log "Creating .venv"; "$PYTHON" -m venv .venv; }
  log "Installing Python dependencies (requirements.lock)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# --- axe-core for the browser tests' accessibility checks (tests/browser/package-lock.json) ---
if [ "$WITH_BROWSER" -eq 1 ] && [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  log "Installing axe-core (npm ci)"
  npm ci --prefix tests/browser --no-audit --no-fund --silent
fi
