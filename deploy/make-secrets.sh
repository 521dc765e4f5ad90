#!/usr/bin/env bash
# Create the deployed stack's secrets once: random passwords for the ClickHouse users
# and Grafana's admin, and the pseudonymisation key, in ./secrets (mode 0700; the key
# 0600). Existing files are kept (a new key would unlink every person's history).
# Writes .env with the uid the worker and collector run as, so they can read the key.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
mkdir -p secrets
chmod 700 secrets
new() {  # name, bytes
    if [ ! -e "secrets/$1" ]; then
        head -c "$2" /dev/urandom | od -An -tx1 | tr -d ' \n' > "secrets/$1"
        echo "created secrets/$1"
    fi
}
new clickhouse_writer_password 24
new clickhouse_analyst_password 24
new clickhouse_grafana_password 24
new grafana_admin_password 24
new kafka_admin_password 24
new kafka_worker_password 24
new kafka_collector_password 24
new pseudonym.key 32
chmod 600 secrets/pseudonym.key
# passwords are read by the servers' own users (ClickHouse, Grafana): readable inside
# their containers, while the 0700 directory keeps other users of this host out
chmod 644 secrets/*password
if [ ! -e .env ]; then
    printf 'SOMEPULSE_UID=%s\nSOMEPULSE_GID=%s\n' "$(id -u)" "$(id -g)" > .env
    echo "wrote .env (the worker runs as uid $(id -u))"
fi
