#!/bin/sh
# The default user from the environment, written to a config file (never a command line), as the
# official image does; then the server in the foreground (Debian's /usr/sbin wrapper would send its
# output to files, so the broker's own script is run).
set -eu
umask 077
{
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  echo "loopback_users = none"
} > /etc/rabbitmq/rabbitmq.conf
exec rabbitmq-server
