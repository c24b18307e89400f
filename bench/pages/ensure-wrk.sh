#!/bin/sh
# Installs Debian's wrk for `make bench-pages` when it is missing (needs root or sudo), like `make browser`.
set -e
if command -v wrk >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "wrk is missing and there is no apt-get here: install wrk and run again." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "Installing wrk (the load generator of make bench-pages) ..."
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk >/dev/null
