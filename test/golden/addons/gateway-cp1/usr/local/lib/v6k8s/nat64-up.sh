#!/bin/bash
# Rendered by v6k8s. NAT64 gateway of cp1: Tayga's TUN, routes and masquerade.
# Tayga itself runs from v6k8s-nat64.service. Inbound IPv4 is not mapped yet (issue 6).
set -euo pipefail
if [ "$(sysctl -n net.ipv4.ip_forward)" != 1 ] || [ "$(sysctl -n net.ipv6.conf.all.forwarding)" != 1 ]; then
    echo "nat64-up: IPv4 and IPv6 forwarding must be on (the host's sysctl.d file sets them)" >&2
    exit 1
fi
mkdir -p /var/lib/tayga
# A persistent TUN, so the routes can point at it before Tayga runs and survive its restarts.
ip link show nat64 >/dev/null 2>&1 || tayga --mktun --config /etc/v6k8s/tayga.conf
ip link set nat64 up
ip -6 route replace fd8a:31c2:7c1f:1:1:64::/96 dev nat64
ip -4 route replace 192.168.255.0/24 dev nat64
# The pool leaves through the uplink, the interface of the IPv4 default route.
uplink=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -z "$uplink" ]; then
    echo "nat64-up: no IPv4 default route, so no uplink to masquerade the pool out of" >&2
    exit 1
fi
iptables -t nat -C POSTROUTING -s 192.168.255.0/24 -o "$uplink" -m comment --comment "v6k8s nat64 pool" -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -s 192.168.255.0/24 -o "$uplink" -m comment --comment "v6k8s nat64 pool" -j MASQUERADE
