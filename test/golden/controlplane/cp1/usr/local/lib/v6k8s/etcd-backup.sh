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

PATH="$PATH:/usr/local/bin"
running_container() {
    local running c
    running=$(ctr --namespace k8s.io tasks ls | awk '$3 == "RUNNING" {print $1}')
    for c in $(ctr --namespace k8s.io containers ls --quiet "labels.\"io.kubernetes.container.name\"==$1"); do
        if printf '%s\n' "$running" | grep -qxF "$c"; then echo "$c"; return 0; fi
    done
    return 1
}
etcd_container() { running_container etcd; }
id=$(etcd_container) || { echo "no running etcd container on this node" >&2; exit 1; }

name=etcd-$(date -u +%Y%m%dT%H%M%SZ).db
# Inside the pod: the data directory is its only writable mount.
part=/var/lib/etcd/v6k8s-snapshot.part
rm -f "$part"
ctr --namespace k8s.io tasks exec --exec-id "v6k8s-backup-$$" "$id" etcdctl --endpoints=https://[::1]:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key \
    snapshot save "$part"
# Only a complete snapshot gets the final name: moved beside it under a hidden name, then renamed.
mv "$part" "$dir/.$name.part"
mv "$dir/.$name.part" "$dir/$name"
prune
echo "saved $dir/$name"
