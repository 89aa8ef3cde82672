#!/bin/bash
# Rendered by v6k8s. Installs node networking packages; a no-op when all are present.
set -euo pipefail
apt_install() {
    _missing=""
    for _p in "$@"; do
        dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q "install ok installed" || _missing="$_missing $_p"
    done
    [ -n "$_missing" ] || return 0
    if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -n "$(ls -A "${DPKG_ADMINDIR:-/var/lib/dpkg}/updates" 2>/dev/null)" ] || [ -n "$(dpkg --audit 2>/dev/null)" ]; then
        echo "v6k8s: an interrupted dpkg run is left on this host: dpkg --configure -a" >&2
        _tries=0
        until _out=$(dpkg --force-confdef --force-confold --configure -a 2>&1); do
            _tries=$((_tries + 1))
            case "$_out" in
            *lock*) [ "$_tries" -lt 120 ] || { echo "$_out" >&2; return 1; }; sleep 5 ;;
            *) echo "$_out" >&2; return 1 ;;
            esac
        done
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -q
    # shellcheck disable=SC2086 # one word per package
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $_missing
}
apt_install wireguard-tools nftables iptables iproute2 containernetworking-plugins curl ca-certificates
