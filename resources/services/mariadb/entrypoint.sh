#!/bin/sh
# First start: make the data folder, then the database and its user from the environment (through
# the server's stdin, never a command line); then run the server on every address.
set -eu
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=socket >/dev/null
  esc() { printf '%s' "$1" | sed "s/'/''/g"; }
  {
    # Bootstrap mode starts without the grant tables; loading them lets it create the user.
    echo "FLUSH PRIVILEGES;"
    echo "CREATE DATABASE \`$(esc "$MARIADB_DATABASE")\`;"
    echo "CREATE USER '$(esc "$MARIADB_USER")'@'%' IDENTIFIED BY '$(esc "$MARIADB_PASSWORD")';"
    echo "GRANT ALL ON \`$(esc "$MARIADB_DATABASE")\`.* TO '$(esc "$MARIADB_USER")'@'%';"
  } | mariadbd --datadir=/var/lib/mysql --bootstrap --skip-networking 2>&1 | grep -E "ERROR" >&2 || true
fi
exec mariadbd --datadir=/var/lib/mysql --bind-address=0.0.0.0 --skip-name-resolve
