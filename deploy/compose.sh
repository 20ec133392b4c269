#!/usr/bin/env bash
# `make up` and `make down`: the stack of docker-compose.yml (plus COMPOSE_FILE's overrides), with
# whichever Compose is installed (v2's `docker compose`, else v1's `docker-compose`).
#
#   deploy/compose.sh up     build what changed, start detached, wait until healthy, print the URL
#   deploy/compose.sh down   remove the containers, networks and volumes (asks first on a terminal)
#
# Settings come from ENV_FILE (default .env; made from .env.example with generated secrets if absent),
# overridden by the environment. WAIT_SECONDS bounds the wait for health (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_FILE="${ENV_FILE:-.env}"

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose --env-file "$ENV_FILE" "$@"
  else
    docker-compose --env-file "$ENV_FILE" "$@"
  fi
}

setting() {  # the value of a setting: the environment first, then ENV_FILE, then $2
  local value="${!1:-}"
  if [ -z "$value" ] && [ -f "$ENV_FILE" ]; then
    value="$(sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1)"
  fi
  printf '%s' "${value:-$2}"
}

make_env_file() {
  [ -f "$ENV_FILE" ] && return
  echo "writing $ENV_FILE from .env.example with generated secrets"
  local secret line
  while IFS= read -r line; do
    if [[ "$line" =~ ^(JWT_SECRET|WEB_SECRET_KEY|POSTGRES_PASSWORD|RABBITMQ_PASSWORD|RABBITMQ_ERLANG_COOKIE)= ]]; then
      secret="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)"
      line="${BASH_REMATCH[1]}=$secret"
    fi
    printf '%s\n' "$line"
  done < .env.example > "$ENV_FILE"
  chmod 600 "$ENV_FILE"
}

# One line per container of the project: name, state, exit code, health ("-" where it has none).
container_states() {
  local ids
  ids="$(compose ps -q)"
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  docker inspect -f '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' $ids
}

wait_until_healthy() {
  local deadline=$((SECONDS + $(setting WAIT_SECONDS 600))) states waiting failed
  while true; do
    states="$(container_states)"
    failed="$(awk '($2 == "exited" && $3 != 0) || $4 == "unhealthy"' <<<"$states")"
    waiting="$(awk '($2 != "running" && $2 != "exited") || $4 == "starting"' <<<"$states")"
    if [ -n "$failed" ]; then
      echo "failed to start:" >&2; echo "$failed" >&2
      for name in $(awk '{print $1}' <<<"$failed"); do docker logs --tail 40 "${name#/}" >&2 || true; done
      return 1
    fi
    [ -z "$waiting" ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "still not healthy:" >&2; echo "$waiting" >&2
      return 1
    fi
    sleep 2
  done
}

up() {
  make_env_file
  compose build
  compose up -d --remove-orphans "$@"
  echo "waiting until every container is healthy"
  wait_until_healthy
  echo "The course exchange is up: http://127.0.0.1:$(setting HTTP_PORT 8000)/"
  echo "APIs on this host only: catalogue :$(setting CATALOGUE_PORT 8001), enrolment :$(setting ENROLMENT_PORT 8002), notifications :$(setting NOTIFICATIONS_PORT 8003)"
}

down() {
  if [ -t 0 ] && [ "${CONFIRM:-}" != "yes" ]; then
    read -r -p "Remove the containers AND the volumes (every database, queue and mail) of this stack? [y/N] " answer
    [[ "$answer" =~ ^[yY] ]] || { echo "nothing removed"; return 1; }
  fi
  [ -f "$ENV_FILE" ] || ENV_FILE=.env.example
  # Removing needs no real settings, but Compose checks that the required ones have a value.
  local name
  for name in JWT_SECRET WEB_SECRET_KEY POSTGRES_PASSWORD RABBITMQ_PASSWORD RABBITMQ_ERLANG_COOKIE SMTP_HOST; do
    export "$name=$(setting "$name" unused)"
  done
  # Every profile and the cluster's file, so that Mailpit and the cluster's nodes and volumes go too.
  export COMPOSE_FILE="${COMPOSE_FILE:-docker-compose.yml:deploy/cluster.yml}"
  COMPOSE_PROFILES="dev" compose down --volumes --remove-orphans
}

command="${1:-}"; shift || true
case "$command" in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
