#!/bin/sh
# The migration job: creates the schema and the first notes. Runs before the web service starts.
set -eu
. /srv/lib.sh
sql "CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL)"
sql "INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 3) g WHERE NOT EXISTS (SELECT 1 FROM notes)"
echo "migrated: $(sql 'SELECT count(*) FROM notes') notes"
