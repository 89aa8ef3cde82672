#!/bin/bash
# Rendered by v6k8s. Brings up or updates the mesh on w2.
# An existing interface is updated in place (wg syncconf): added peers appear, removed ones go,
# unchanged peers keep their sessions. Nothing restarts.
set -euo pipefail
if ip link show wg0 >/dev/null 2>&1; then
    # wg0.conf has no PrivateKey (it stays in the key file): syncconf would remove the key, so
    # it gets it on the way in, read by awk from the file (never on a command line).
    wg syncconf wg0 <(wg-quick strip /etc/wireguard/wg0.conf | awk -v key=/etc/wireguard/wg0.key '{ print } /^\[Interface\]/ { getline k < key; print "PrivateKey = " k }')
    ip link set wg0 mtu 1420 up
    ip -6 addr replace fd8a:31c2:7c1f:1:c::1/64 dev wg0
else
    wg-quick up /etc/wireguard/wg0.conf
fi
