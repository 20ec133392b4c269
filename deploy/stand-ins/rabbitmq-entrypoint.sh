#!/bin/sh
# The official image's RABBITMQ_DEFAULT_USER/PASS, written as configuration; logs to the console.
set -eu
{
  echo "loopback_users = none"
  echo "log.console = true"
  [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && echo "default_user = $RABBITMQ_DEFAULT_USER"
  [ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && echo "default_pass = $RABBITMQ_DEFAULT_PASS"
} > /etc/rabbitmq/conf.d/00-stand-in.conf
if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
  rm -f "$HOME/.erlang.cookie"
  printf "%s" "$RABBITMQ_ERLANG_COOKIE" > "$HOME/.erlang.cookie"
  chmod 400 "$HOME/.erlang.cookie"
fi
exec "$@"
