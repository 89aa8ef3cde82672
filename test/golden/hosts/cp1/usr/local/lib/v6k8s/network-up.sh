#!/bin/bash
# Rendered by v6k8s. Node networking of cp1: sysctls, the pod bridge, the host firewall.
set -euo pipefail
modprobe br_netfilter
sysctl -q -p /etc/sysctl.d/90-v6k8s.conf
# The CNI bridge plugin would create cluster0 with the first pod; creating it here gives the
# host its pod routes (fd8a:31c2:7c1f:1:1:1::/96, 2001:db8:10a:1f2e:0:1::/96) before any pod exists.
ip link show cluster0 >/dev/null 2>&1 || ip link add cluster0 type bridge
ip link set cluster0 mtu 1420 up
ip -6 addr replace fd8a:31c2:7c1f:1:1:1:0:1/96 dev cluster0
ip -6 addr replace 2001:db8:10a:1f2e:0:1:0:1/96 dev cluster0
test -s /etc/cni/net.d/10-cluster.conflist
nft -f /etc/v6k8s/host-firewall.nft
