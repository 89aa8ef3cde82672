#!/bin/bash
# Rendered by v6k8s. Snapshots the local etcd member into /var/backups/etcd and keeps the
# 28 newest snapshots. `--prune-only` only applies the retention.
set -euo pipefail
umask 077
export LC_ALL=C
dir=${V6K8S_ETCD_BACKUP_DIR:-/var/backups/etcd}
keep=28

# Names carry the UTC time to the second, so name order is age order (the glob sorts, LC_ALL=C).
prune() {
    shopt -s nullglob
    local all=("$dir"/etcd-*Z.db) i
    shopt -u nullglob
    for ((i = 0; i < ${#all[@]} - keep; i++)); do rm -f -- "${all[i]}"; done
}

mkdir -p "$dir"
if [ "${1:-}" = --prune-only ]; then prune; exit 0; fi

ctr() { /usr/local/bin/ctr --namespace k8s.io "$@"; }
# The running container named etcd (the kubelet may keep an exited one next to it).
running=$(ctr tasks ls | awk '$3 == "RUNNING" {print $1}')
id=""
for c in $(ctr containers ls --quiet 'labels."io.kubernetes.container.name"==etcd'); do
    if printf '%s\n' "$running" | grep -qxF "$c"; then id=$c; break; fi
done
[ -n "$id" ] || { echo "no running etcd container on this node" >&2; exit 1; }

name=etcd-$(date -u +%Y%m%dT%H%M%SZ).db
# Inside the pod: the data directory is its only writable mount.
part=/var/lib/etcd/v6k8s-snapshot.part
rm -f "$part"
ctr tasks exec --exec-id "v6k8s-backup-$$" "$id" etcdctl --endpoints=https://[::1]:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key \
    snapshot save "$part"
# Only a complete snapshot gets the final name: moved beside it under a hidden name, then renamed.
mv "$part" "$dir/.$name.part"
mv "$dir/.$name.part" "$dir/$name"
prune
echo "saved $dir/$name"
