#!/bin/bash
# Rendered by v6k8s. Node networking of cp1: sysctls, the pod bridge, the host firewall.
set -euo pipefail
modprobe br_netfilter
# Before forwarding goes on: the uplinks keep the default routes router advertisements give them.
uplinks=""
for _ in $(seq 30); do
    uplinks=$(ip -6 route show default | grep -o ' dev [^ ]*' | cut -d' ' -f3 | sort -u | tr '\n' ' ')
    if [ -n "$uplinks" ]; then break; fi
    sleep 1
done
if [ -z "$uplinks" ]; then
    echo "v6k8s: this host has no default IPv6 route (after 30 s): the mesh and every download need one on the uplink" >&2
    exit 1
fi
keep=""
for dev in $uplinks; do
    ra=/proc/sys/net/ipv6/conf/$dev/accept_ra
    if [ "$(cat "$ra")" = 1 ]; then echo 2 > "$ra"; fi
    if [ "$(cat "$ra")" = 2 ]; then keep="$keep"$'\n'"net/ipv6/conf/$dev/accept_ra = 2"; fi
done
if [ -n "$keep" ]; then
    want="# Rendered by v6k8s network-up.sh: the uplinks keep accepting router advertisements with forwarding on.$keep"
    if [ "$(cat /etc/sysctl.d/89-v6k8s-uplink.conf 2>/dev/null)" != "$want" ]; then
        printf '%s\n' "$want" > /etc/sysctl.d/89-v6k8s-uplink.conf.new
        mv -f /etc/sysctl.d/89-v6k8s-uplink.conf.new /etc/sysctl.d/89-v6k8s-uplink.conf
    fi
else
    rm -f /etc/sysctl.d/89-v6k8s-uplink.conf
fi
sysctl -q -p /etc/sysctl.d/90-v6k8s.conf
if [ -z "$(ip -6 route show default)" ]; then
    echo "v6k8s: the default IPv6 route is gone since forwarding is on (uplinks: $uplinks); a route learned from router advertisements needs accept_ra=2 on its interface" >&2
    exit 1
fi
# The CNI bridge plugin would create cluster0 with the first pod; creating it here gives the
# host its pod routes (fd8a:31c2:7c1f:1:1:1::/96, 2001:db8:10a:1f2e:0:1::/96) before any pod exists.
ip link show cluster0 >/dev/null 2>&1 || ip link add cluster0 type bridge
# A MAC of its own: a bridge without one takes the lowest MAC of its ports, so it changes as pods
# come and go, and every pod's neighbour entry for its gateway points at a MAC that is gone until
# the pod's NUD notices (the lab saw 7-33 s without DNS from a CoreDNS pod whose neighbour left).
# ndisc_notify first: when the address does change (once, on a host set up before this), the
# bridge tells its pods at once with an unsolicited neighbour advertisement.
sysctl -q -w net.ipv6.conf.cluster0.ndisc_notify=1
ip link set cluster0 address 02:76:36:6b:00:01
ip link set cluster0 mtu 1420 up
ip -6 addr replace fd8a:31c2:7c1f:1:1:1:0:1/96 dev cluster0
ip -6 addr replace 2001:db8:10a:1f2e:0:1:0:1/96 dev cluster0
test -s /etc/cni/net.d/10-cluster.conflist
nft -f /etc/v6k8s/host-firewall.nft
