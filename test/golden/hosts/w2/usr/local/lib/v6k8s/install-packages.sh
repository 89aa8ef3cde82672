#!/bin/bash
# Rendered by v6k8s. Installs node networking packages; a no-op when all are present.
set -euo pipefail
packages=(wireguard-tools nftables iptables iproute2 containernetworking-plugins)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi
