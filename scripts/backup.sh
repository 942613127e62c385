#!/usr/bin/env bash
# Back up the helpdesk: the database and the uploaded files, into one new folder
#   <BACKUP_DIR>/helpdesk-<UTC time>/
#     database.dump     pg_dump custom format
#     media.tar.gz      every file under MEDIA_ROOT (ticket attachments)
#     MANIFEST          when, what, how many files
#     SHA256SUMS        checked by scripts/restore.sh before it touches anything
#
# Usage: DATABASE_URL=postgres://user:pass@host:5432/helpdesk scripts/backup.sh [BACKUP_DIR]
# Reads the same variables as the app: DATABASE_URL (required; `make backup` sets it to the
# embedded PostgreSQL when unset), MEDIA_ROOT (default: HELPDESK_VAR_DIR/media,
# HELPDESK_VAR_DIR defaulting to ./var), PG_BIN (folder of pg_dump; default: PATH).
# Prints the folder it wrote on its last line. pg_dump must be at least the server's version.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/backup-common.sh
. "$here/backup-common.sh"

backup_root="${1:-${BACKUP_DIR:-backups}}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$backup_root/helpdesk-$stamp"
partial="$target.partial"
[ ! -e "$target" ] || die "$target already exists"
mkdir -p "$partial"
# A half-written backup keeps its .partial name and is removed on failure: a folder
# without that suffix is always complete.
trap 'rm -rf "$partial"' EXIT

# The database first, then the files: an attachment saved in between is an extra file in
# the archive (harmless), never a row whose file is missing.
"${PG_TOOLS}pg_dump" --format=custom --no-owner --no-privileges --file="$partial/database.dump" \
  --dbname="$(libpq_url "$DATABASE_URL")"
database_file=database.dump

media="$(media_root)"
if [ -d "$media" ]; then
  tar -C "$media" -czf "$partial/media.tar.gz" .
  files="$(find "$media" -type f | wc -l | tr -d ' ')"
else
  tar -czf "$partial/media.tar.gz" -T /dev/null
  files=0
fi

cat > "$partial/MANIFEST" <<MANIFEST
created_at=$stamp
database=$DATABASE_KIND
database_file=$database_file
media_files=$files
MANIFEST
(cd "$partial" && sha256sum "$database_file" media.tar.gz MANIFEST > SHA256SUMS)

mv "$partial" "$target"
trap - EXIT
echo "backup written: $(du -sh "$target" | cut -f1), $files media files" >&2
echo "$target"
