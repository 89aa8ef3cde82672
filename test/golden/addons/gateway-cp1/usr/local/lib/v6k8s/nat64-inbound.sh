#!/bin/bash
# Rendered by v6k8s. Inbound IPv4 on cp1: 203.0.113.10 (tcp/80) -> Tayga's map 192.168.255.2 -> 2001:db8:10a:1f2e::2.
set -euo pipefail
iptables-restore --noflush <<'RULES'
*nat
:V6K8S-NAT64-IN - [0:0]
-A V6K8S-NAT64-IN -d 203.0.113.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.255.2
COMMIT
RULES
iptables -t nat -C PREROUTING -j V6K8S-NAT64-IN 2>/dev/null || iptables -t nat -I PREROUTING -j V6K8S-NAT64-IN
