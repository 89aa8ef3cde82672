#!/bin/bash
# Rendered by v6k8s. Creates this host's WireGuard key once and prints its public key.
set -euo pipefail
umask 077
mkdir -p /etc/wireguard
if [ ! -s /etc/wireguard/wg0.key ]; then
    wg genkey > /etc/wireguard/wg0.key.new
    mv /etc/wireguard/wg0.key.new /etc/wireguard/wg0.key
fi
wg pubkey < /etc/wireguard/wg0.key
