# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run).
# The defaults mirror helpdesk/settings.py, so the scripts find what the app uses.

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
var_dir="${HELPDESK_VAR_DIR:-$repo/var}"
[ -n "${DATABASE_URL:-}" ] || die "DATABASE_URL is not set (make backup / make restore set it for the embedded PostgreSQL)"
# PostgreSQL's client tools: from PG_BIN when set (the embedded server's own, whose major
# may be newer than the system's: pg_dump refuses a server newer than itself), else PATH.
PG_TOOLS="${PG_BIN:+$PG_BIN/}"

case "$DATABASE_URL" in
  postgres://* | postgresql://* | pgsql://* | psql://*) DATABASE_KIND=postgresql ;;
  *) die "DATABASE_URL must name a PostgreSQL database" ;;
esac

media_root() {
  echo "${MEDIA_ROOT:-$var_dir/media}"
}

# libpq knows postgres:// and postgresql://; django-environ also takes pgsql:// and psql://.
libpq_url() {
  echo "postgresql://${1#*://}"
}

postgres_database_name() {
  local base="${1%%\?*}"
  local name="${base##*/}"
  [[ "$name" =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$name' must be letters, digits and underscores"
  echo "$name"
}

# The same server and credentials, connected to the "postgres" database: to create the target.
postgres_maintenance_url() {
  local base="${1%%\?*}"
  echo "${base%/*}/postgres${1:${#base}}"
}
