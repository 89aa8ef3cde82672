#!/bin/bash
# Rendered by v6k8s. Brings up or updates the mesh on w2.
# An existing interface is updated in place (wg syncconf): added peers appear, removed ones go,
# unchanged peers keep their sessions. Nothing restarts.
set -euo pipefail
if ip link show wg0 >/dev/null 2>&1; then
    wg syncconf wg0 <(wg-quick strip /etc/wireguard/wg0.conf)
    ip link set wg0 mtu 1420 up
    ip -6 addr replace fd8a:31c2:7c1f:1:c::1/64 dev wg0
else
    wg-quick up /etc/wireguard/wg0.conf
fi
