#!/usr/bin/env bash
# Build stand-ins for the third-party images of docker-compose.yml from Debian's packages, for machines
# that reach no image registry (CI here). Each honours the variables, volumes and init scripts of the
# official image it stands in for, as far as docker-compose.yml uses them. Prints the variables that
# point docker-compose.yml at them; `make up` with those in the environment builds on them.
#
#   eval "$(deploy/stand-ins/build.sh)"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${STAND_IN_TAG:-course-exchange-stand-in}"
mirror="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

log() { printf '%s\n' "$*" >&2; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }

base="$tag/debian:bookworm"
if ! exists "$base"; then
  log "stand-ins: debootstrap bookworm from $mirror"
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base" >&2
fi

# pip inside the Python stand-in trusts the CA bundle that this machine's pip trusts.
context="$(mktemp -d)"
trap 'rm -rf "$context" "${rootfs:-}"' EXIT
cp "$here"/* "$context"/
cp "$(pip config get global.cert 2>/dev/null || echo /etc/ssl/certs/ca-certificates.crt)" "$context/ca-bundle.crt"

for image in python postgres rabbitmq nginx mailcatcher; do
  if ! exists "$tag/$image:latest"; then
    log "stand-ins: building $tag/$image"
    docker build -q --build-arg BASE="$base" -t "$tag/$image:latest" -f "$context/$image.Dockerfile" "$context" >&2
  fi
done

cat <<VARS
export PYTHON_IMAGE=$tag/python:latest
export POSTGRES_IMAGE=$tag/postgres:latest
export RABBITMQ_IMAGE=$tag/rabbitmq:latest
export PROXY_IMAGE=$tag/nginx:latest
export MAILPIT_IMAGE=$tag/mailcatcher:latest
VARS
