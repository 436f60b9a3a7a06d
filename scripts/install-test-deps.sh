#!/usr/bin/env bash
# Installs the system programs the test suite and the benchmark drive: dnsmasq (stub upstream and peer),
# dig/kdig (independent DNS clients), dnsperf (load), Chromium (browser tests), iproute2 (network
# namespaces for multi-device tests), openssl (test CA for DoH/DoT), e2fsprogs/losetup (storage faults) and
# the PostgreSQL server (replica tests start their own with initdb/pg_ctl in a temp dir, tests/helpers/pg-server.ts).
# Idempotent; needs root or sudo.
set -euo pipefail
need=()
command -v dnsmasq >/dev/null || need+=(dnsmasq)
command -v dig >/dev/null || need+=(bind9-dnsutils)
command -v kdig >/dev/null || need+=(knot-dnsutils)
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v chromium >/dev/null || need+=(chromium)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
# Storage-fault tests: an ext4 file system on a loop device that turns read-only under tracksink.
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v losetup >/dev/null || need+=(mount)
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<major>/bin, off the PATH.
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || command -v pg_ctl >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi
echo "test dependencies: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# The Debian dnsmasq package starts a system service on port 53; tests start their own instances.
if command -v systemctl >/dev/null && systemctl is-active --quiet dnsmasq 2>/dev/null; then
  $SUDO systemctl disable --now dnsmasq || true
fi
# The Debian postgresql package starts a system cluster on port 5432; tests start their own servers.
if command -v systemctl >/dev/null && systemctl is-active --quiet postgresql 2>/dev/null; then
  $SUDO systemctl disable --now postgresql || true
fi
