#!/usr/bin/env bash
# Applied by hand during the October incident; kept for the record.
set -euo pipefail
echo "ALTER TABLE payouts ADD COLUMN note varchar(500);" | psql "$DATABASE_URL"
psql "$DATABASE_URL" -c "SELECT count(*) FROM payouts WHERE status = 'pending'"
