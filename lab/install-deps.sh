#!/usr/bin/env bash
# Installs what the lab needs from Debian (a fresh machine has none of it), then tries to build
# CoreDNS into a cache outside the repo. Run as root; .ci/run calls it before `npm run test:lab`.
# Safe to run again: apt-get installs only what is missing, the CoreDNS build is skipped when the
# cached binary is there. A failed CoreDNS build is NOT fatal: the DNS64 check then reports itself
# as skipped with the reason.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "lab/install-deps.sh: needs root (it installs Debian packages); run it with sudo or as root" >&2
    exit 1
fi

# wireguard-go: the kernel here has no WireGuard module. containernetworking-plugins: the real
# bridge/host-local/firewall plugins in /usr/lib/cni. tayga: the NAT64 gateway. iptables and
# nftables: the CNI firewall plugin, the MASQUERADE and the host firewall. iperf3: bench:lab.
# dnsutils: dig for the DNS64 check. The packages must not start services in the root namespace:
# none of these does (iperf3's debconf question defaults to "no daemon", tayga's RUN defaults to no).
# etcd-server, etcd-client: check 8 runs Debian's etcd with the project's rendered flags.
# The cluster lab: docker-registry (the registry mirror), umoci and skopeo (images are built here
# and pushed to it), busybox-static (the toolbox image), haproxy and conntrack (inside the
# apiserver-proxy and kube-proxy images), curl and ca-certificates (every host's install-packages.sh
# installs them for install-binaries.sh), libseccomp-dev and gcc
# (runc and pause are built from source modules by tools/k8s-toolchain.sh). openssh-server and
# openssh-client: every lab machine runs its own sshd and the operator reaches it with ssh,
# ssh-keygen and ssh-keyscan. unbound: the gateway step's DNS64 resolver (the program installs it on
# hosts; the lab refuses apt on its machines, so the machine must have it). radvd: the network
# lab's provider gives one host its default route by router advertisements (it starts no service:
# Debian's unit needs an /etc/radvd.conf). netcat-openbsd: the conformance suite's stand-in for
# agnhost's `nc` (its tests call `nc -v -z -u -w`, which busybox's nc lacks; lab/cluster/conformance).
packages=(iproute2 iputils-ping wireguard-go wireguard-tools containernetworking-plugins tayga
    iptables nftables iperf3 dnsutils procps util-linux etcd-server etcd-client
    docker-registry umoci skopeo busybox-static haproxy conntrack curl ca-certificates libseccomp-dev gcc libc6-dev
    openssh-server openssh-client unbound openssl radvd netcat-openbsd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== lab: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # etcd-server's postinst would start an etcd in the root namespace: forbid service starts
    # during the install (policy-rc.d exit 101), and remove the guard afterwards.
    guard=/usr/sbin/policy-rc.d
    placed=no
    if [ ! -e "$guard" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod +x "$guard" && placed=yes
    fi
    trap '[ "$placed" = yes ] && rm -f "$guard"' EXIT
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "== lab: Debian packages already installed"
fi

# CoreDNS is not packaged in Debian 12: build it from its Go module (cached, first run only).
"$here/build-coredns.sh" || echo "== lab: CoreDNS build failed (see above); the DNS64 check will be SKIPPED, not passed"

# The cluster lab's S3 store (etcd snapshots leaving the nodes): VersityGW from its Go module (cached).
"$here/build-versitygw.sh"
