#!/bin/bash
# A cluster-lab host's "machine": the namespaces every process of the host lives in. Started as
#   ip netns exec <ns> unshare --uts lab/sh/machine.sh <root> <hostname> <cgroup-root>
# (ip netns exec gives the network namespace and a private mount namespace; unshare a UTS
# namespace, so each host has its own hostname: apiservers on one machine would otherwise share
# one identity lease). It gives the host its own /etc (an overlay: the machine's /etc below, the
# host's changes in <root>/.etc-upper; e.g. start-kubelet.sh edits /etc/fstab), mounts the host's
# own directories over it (<root>/.binds, as in-ns.sh does), mounts the cgroup
# hierarchies again (ip netns exec remounted /sys, which hides /sys/fs/cgroup), creates the
# kubelet's cgroup root in each, then sleeps. Commands enter it with nsenter (lab/cluster/machine.ts).
set -euo pipefail
root=$1 name=$2 cgroot=$3
hostname "$name"
# This mount namespace is a copy of the machine's: it holds a reference to every lab namespace
# (ip netns bind-mounts them under /run/netns), which would keep a powered-off host's network
# namespace alive while this machine runs. Drop them here (a slave: nothing propagates back).
umount --recursive --lazy /run/netns 2>/dev/null || true
mkdir -p "$root/.etc-upper" "$root/.etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$root/.etc-upper,workdir=$root/.etc-work" /etc
while IFS= read -r path; do
    [ -n "$path" ] && mount --bind "$root$path" "$path"
done < "$root/.binds"
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
while read -r _ dir type opts _; do
    case $type in
        cgroup)
            ctrl=$(tr ',' '\n' <<<"$opts" | grep -vxE 'rw|ro|relatime|nosuid|nodev|noexec' | paste -sd,)
            mkdir -p "$dir"
            mount -t cgroup -o "$ctrl" cgroup "$dir"
            mkdir -p "$dir$cgroot"
            # A new cpuset cgroup starts with no CPUs and no memory nodes: inherit the root's.
            if [ -f "$dir/cpuset.cpus" ]; then
                cat "$dir/cpuset.cpus" > "$dir$cgroot/cpuset.cpus"
                cat "$dir/cpuset.mems" > "$dir$cgroot/cpuset.mems"
            fi ;;
        cgroup2)
            mkdir -p "$dir"
            mount -t cgroup2 cgroup2 "$dir" ;;
    esac
done < <(grep -E '^[^ ]+ [^ ]+ cgroup2? ' /proc/1/mounts)
echo "machine $name ready"
exec sleep infinity
