# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run).
# The defaults mirror helpdesk/settings.py, so the scripts find what the app uses.

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
var_dir="${HELPDESK_VAR_DIR:-$repo/var}"
DATABASE_URL="${DATABASE_URL:-sqlite:///$var_dir/helpdesk.sqlite3}"
PYTHON="${PYTHON:-python3}"

case "$DATABASE_URL" in
  postgres://* | postgresql://* | pgsql://* | psql://*) DATABASE_KIND=postgresql ;;
  sqlite://*) DATABASE_KIND=sqlite ;;
  *) die "DATABASE_URL must name a PostgreSQL or SQLite database" ;;
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

# sqlite:////abs/path -> /abs/path, sqlite:///relative -> relative (django-environ's reading).
sqlite_path() {
  echo "${1#sqlite:///}"
}
