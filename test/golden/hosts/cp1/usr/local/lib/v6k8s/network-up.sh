#!/bin/bash
# Rendered by v6k8s. Node networking of cp1: sysctls, the pod bridge, the host firewall.
set -euo pipefail
modprobe br_netfilter
sysctl -q -p /etc/sysctl.d/90-v6k8s.conf
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
