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

export PATH="$PATH:/usr/local/bin"
status_dir=${V6K8S_ETCD_BACKUP_STATUS_DIR:-/var/lib/v6k8s/etcd-backup}
node=cp2
# record ok|failed WHAT: the outcome in the status files and, as far as the API answers, on the
# Node (the kubelet's own credentials may annotate its Node).
record() {
    local line
    line="$1 $(date -u +%Y-%m-%dT%H:%M:%SZ) $2"
    mkdir -p "$status_dir"
    printf '%s\n' "$line" > "$status_dir/last"
    [ "$1" = ok ] && printf '%s\n' "$line" > "$status_dir/last-success"
    [ -n "$node" ] || return 0
    local annotations=("v6k8s.io/etcd-backup=$line")
    [ "$1" = ok ] && annotations+=("v6k8s.io/etcd-backup-last-success=$line")
    kubectl --kubeconfig=/etc/kubernetes/kubelet.conf --request-timeout=20s annotate --overwrite node "$node" "${annotations[@]}" >/dev/null ||
        echo "etcd backup: the Node $node was not annotated (the status is in $status_dir)" >&2
}
failed() {
    trap - ERR
    echo "etcd backup failed: $*" >&2
    record failed "$*" || true
    exit 1
}
# Any command failing fails the run through here (errtrace: in functions too).
set -E
trap 'failed "line $LINENO exited with $?"' ERR
s3_configured() {
    [ -f /etc/v6k8s/etcd-backup-s3.env ] && [ -f /etc/v6k8s/etcd-backup-s3.curl ] || return 1
    . /etc/v6k8s/etcd-backup-s3.env
}
# s3_request PAYLOAD_SHA256 WHERE CURL_ARGS...: SigV4 signs the payload's hash, which S3 wants in its own header.
s3_request() {
    local sha=$1 where=$2 ca=()
    shift 2
    [ -f /etc/v6k8s/etcd-backup-s3-ca.crt ] && ca=(--cacert /etc/v6k8s/etcd-backup-s3-ca.crt)
    curl --silent --show-error --fail-with-body --retry 3 --connect-timeout 10 --max-time 900 "${ca[@]}" \
        --aws-sigv4 "aws:amz:${S3_REGION}:s3" --config /etc/v6k8s/etcd-backup-s3.curl -H "x-amz-content-sha256: $sha" "$@" "${S3_ENDPOINT}/${S3_BUCKET}${where}"
}
s3() { s3_request e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "$@"; }
s3_put() { s3_request "$(sha256sum < "$1" | cut -d' ' -f1)" "/$2" -T "$1"; }
# s3_error OUTPUT: the store's error code and message from a failed request's output (or the output).
s3_error() {
    local code message
    code=$(grep -o '<Code>[^<]*' <<<"$1" | head -n 1 | cut -c7-) || true
    message=$(grep -o '<Message>[^<]*' <<<"$1" | head -n 1 | cut -c10-) || true
    if [ -n "$code" ]; then echo "$code: $message"; else tail -n 1 <<<"$1"; fi
}
s3_key() { printf '%s%s/%s' "$S3_PREFIX" "$S3_NODE" "$1"; }
s3_list() {
    local prefix listing
    # The query is already percent-encoded: its canonical form for the signature.
    prefix=$(s3_key etcd- | sed 's|/|%2F|g')
    listing=$(s3 "?list-type=2&prefix=${prefix}" 2>&1) || {
        echo "$listing"
        return 1
    }
    grep -o '<Key>[^<]*</Key>' <<<"$listing" | sed -e 's|^<Key>||' -e 's|</Key>$||' | grep -E '/etcd-[0-9]{8}T[0-9]{6}Z\.db$' | sort || true
}

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
id=$(etcd_container) || { failed "no running etcd container on this node"; }

name=etcd-$(date -u +%Y%m%dT%H%M%SZ).db
# Inside the pod: the data directory is its only writable mount.
part=/var/lib/etcd/v6k8s-snapshot.part
rm -f "$part"
ctr --namespace k8s.io tasks exec --exec-id "v6k8s-backup-$$" "$id" etcdctl --endpoints=https://[::1]:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key \
    snapshot save "$part"
# Only a complete snapshot gets the final name: moved beside it under a hidden name, then renamed.
mv "$part" "$dir/.$name.part"
# Verified before it counts: etcdutl reads the whole file (its hash, revision and keys).
if ! verified=$(etcdutl snapshot status "$dir/.$name.part" -w table 2>&1); then
    rm -f "$dir/.$name.part"
    failed "snapshot $name does not verify: $verified"
fi
mv "$dir/.$name.part" "$dir/$name"
prune
echo "saved $dir/$name"
echo "$verified"
where=$dir/$name
if s3_configured; then
    key=$(s3_key "$name")
    size=$(stat -c %s "$dir/$name")
    out=$(s3_put "$dir/$name" "$key" 2>&1) ||
        failed "upload of $name to s3://$S3_BUCKET/$key failed: $(s3_error "$out")"
    # Read back: the store must hold the whole file.
    out=$(s3 "/$key" --head 2>&1) || failed "s3://$S3_BUCKET/$key cannot be read back: $(s3_error "$out")"
    stored=$(tr -d '\r' <<<"$out" | awk 'tolower($1) == "content-length:" {print $2}')
    [ "$stored" = "$size" ] || failed "s3://$S3_BUCKET/$key holds '$stored' bytes, $name has $size"
    keys=$(s3_list 2>&1) || failed "listing s3://$S3_BUCKET/$(s3_key '') failed: $(s3_error "$keys")"
    mapfile -t keys <<<"$keys"
    for ((i = 0; i < ${#keys[@]} - S3_KEEP; i++)); do
        out=$(s3 "/${keys[i]}" -X DELETE 2>&1) ||
            failed "deleting the old s3://$S3_BUCKET/${keys[i]} failed: $(s3_error "$out")"
    done
    echo "uploaded s3://$S3_BUCKET/$key ($size bytes; the $S3_KEEP newest kept)"
    where="$where s3://$S3_BUCKET/$key"
fi
record ok "$where"
