#!/usr/bin/env bash
# Restore a backup written by scripts/backup.sh into a NEW database and an empty media folder.
#
# Usage: DATABASE_URL=postgres://user:pass@host:5432/helpdesk_restored MEDIA_ROOT=/srv/media \
#          scripts/restore.sh backups/helpdesk-20270101T020000Z
#
# The database named in DATABASE_URL is created if it does not exist (the user needs
# CREATEDB), and refused if it already holds tables: a restore never mixes with or
# overwrites live data. Likewise MEDIA_ROOT must be missing or empty. The checksums are
# verified before anything is written. Point the helpdesk at the restored database (and
# media folder) yourself once you have checked it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/backup-common.sh
. "$here/backup-common.sh"

[ $# -eq 1 ] || die "usage: scripts/restore.sh <backup folder>"
archive="$1"
[ -f "$archive/SHA256SUMS" ] || die "$archive is not a backup folder (no SHA256SUMS)"
(cd "$archive" && sha256sum --check --quiet SHA256SUMS) || die "$archive is damaged: checksums do not match"
backup_kind="$(sed -n 's/^database=//p' "$archive/MANIFEST")"
[ "$backup_kind" = "$DATABASE_KIND" ] || die "the backup holds a $backup_kind database, DATABASE_URL names $DATABASE_KIND"

media="$(media_root)"
if [ -d "$media" ] && [ -n "$(ls -A "$media")" ]; then
  die "MEDIA_ROOT $media is not empty; restore into an empty folder"
fi

url="$(libpq_url "$DATABASE_URL")"
name="$(postgres_database_name "$url")"
maintenance="$(postgres_maintenance_url "$url")"
exists="$("${PG_TOOLS}psql" "$maintenance" --no-psqlrc -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")"
if [ "$exists" = 1 ]; then
  tables="$("${PG_TOOLS}psql" "$url" --no-psqlrc -tAc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
  [ "$tables" = 0 ] || die "database $name already has $tables tables; restore into a new database"
else
  "${PG_TOOLS}psql" "$maintenance" --no-psqlrc -q -c "CREATE DATABASE \"$name\""
fi
# One transaction: a failed restore leaves the new database empty, not half-filled.
"${PG_TOOLS}pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$url" "$archive/database.dump"

mkdir -p "$media"
tar -C "$media" -xzf "$archive/media.tar.gz"
echo "restored $archive: $DATABASE_KIND database and $(find "$media" -type f | wc -l | tr -d ' ') media files" >&2
