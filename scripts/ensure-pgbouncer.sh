#!/bin/sh
# Installs Debian's PgBouncer for tests/test_pgbouncer.py when it is missing (needs root or sudo).
# The test runs part of the suite through it in transaction-pooling mode; see README "Configuration".
set -e
if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "Installing PgBouncer for the connection-pooling test ..."
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends pgbouncer >/dev/null
# The package starts a system service on the default port; the test starts its own, so stop it again.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now pgbouncer >/dev/null 2>&1 || true
fi
