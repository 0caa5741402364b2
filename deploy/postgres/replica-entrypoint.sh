#!/bin/sh
# The streaming replica (compose profile `replica`): copies the primary once with pg_basebackup,
# then runs as a hot standby that follows it. The same commands make CI's replica (tests/scale/).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" pg_basebackup -h postgres -U replicator \
      -D "$PGDATA" --write-recovery-conf --wal-method=stream --checkpoint=fast; do
    echo "waiting for the primary"; rm -rf "${PGDATA:?}"/*; sleep 2
  done
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
