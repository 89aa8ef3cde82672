// Scheduled etcd snapshots on every control-plane node: a systemd timer, its oneshot service and the
// script, with retention (the newest few stay), each snapshot verified (`etcdutl snapshot status`)
// and, with cluster.etcdBackup.s3, uploaded, read back and pruned in the bucket too
// (etcdBackupS3.ts). Every run leaves its outcome in ETCD_BACKUP_STATUS_DIR and on the Node object
// (annotation ETCD_BACKUP_ANNOTATION); a failed run fails the unit (its journal says why). Pure.
//
// etcdctl is not on the hosts, but the running etcd static pod's image has it, at the version of
// the member it talks to. The script runs it there with `ctr` (shipped in the containerd tarball
// v6k8s installs; crictl is not): `ctr tasks exec` in the running etcd container, writing into the
// data directory the pod mounts, then moves the file out on the host. Nothing is downloaded, and
// no second copy of etcd's version or checksum has to be kept.
import { ETCD_DATA_DIR, PATHS } from "../paths";
import { RUNNING_CONTAINER_FUNCTIONS } from "./etcdMembers";
import { S3_FUNCTIONS } from "./etcdBackupS3";

export const ETCD_BACKUP_SCRIPT_PATH = "/usr/local/lib/v6k8s/etcd-backup.sh";
export const ETCD_BACKUP_UNIT = "v6k8s-etcd-backup";
export const ETCD_BACKUP_SERVICE_PATH = `/etc/systemd/system/${ETCD_BACKUP_UNIT}.service`;
export const ETCD_BACKUP_TIMER_PATH = `/etc/systemd/system/${ETCD_BACKUP_UNIT}.timer`;
/** Where snapshots land on the host: `etcd-<UTC time>.db`, mode 0600 (they hold every Secret, encrypted at rest or not). */
export const ETCD_BACKUP_DIR = "/var/backups/etcd";
/** Snapshots kept: every 6 hours, a week's worth. */
export const ETCD_BACKUP_KEEP = 28;

/** `last` (every run) and `last-success`: `<ok|failed> <UTC time> <what>`. */
export const ETCD_BACKUP_STATUS_DIR = "/var/lib/v6k8s/etcd-backup";
/** The Node's annotation with the last run's outcome (the same line as the status file). */
export const ETCD_BACKUP_ANNOTATION = "v6k8s.io/etcd-backup";
/** And the last successful run's. */
export const ETCD_BACKUP_SUCCESS_ANNOTATION = "v6k8s.io/etcd-backup-last-success";

export interface EtcdBackupOptions {
    /** The node (its Node object gets the outcome); without, no annotation. */
    readonly node?: string;
    /** Default ETCD_BACKUP_DIR. */
    readonly dir?: string;
    /** Default ETCD_BACKUP_KEEP. */
    readonly keep?: number;
}

/**
 * Shell (sh or bash): the running-container functions (etcdMembers.ts) and `$id`, the running
 * container named etcd on this node; without one, runs `onMissing` (default: say so and exit 1).
 * `ctr` is in /usr/local/bin, which a systemd unit's PATH may lack.
 */
export const localEtcdContainer = (onMissing = 'echo "no running etcd container on this node" >&2; exit 1') => `PATH="$PATH:/usr/local/bin"
${RUNNING_CONTAINER_FUNCTIONS}
id=$(etcd_container) || { ${onMissing}; }`;

export function renderEtcdBackupScript(opts: EtcdBackupOptions = {}): string {
    const keep = opts.keep ?? ETCD_BACKUP_KEEP;
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`etcd backup retention: ${keep} is not a positive whole number`);
    return `#!/bin/bash
# Rendered by v6k8s. Snapshots the local etcd member into ${opts.dir ?? ETCD_BACKUP_DIR} and keeps the
# ${keep} newest snapshots. \`--prune-only\` only applies the retention.
set -euo pipefail
umask 077
export LC_ALL=C
dir=\${V6K8S_ETCD_BACKUP_DIR:-${opts.dir ?? ETCD_BACKUP_DIR}}
keep=${keep}

# Names carry the UTC time to the second, so name order is age order (the glob sorts, LC_ALL=C).
prune() {
    shopt -s nullglob
    local all=("$dir"/etcd-*Z.db) i
    shopt -u nullglob
    for ((i = 0; i < \${#all[@]} - keep; i++)); do rm -f -- "\${all[i]}"; done
}

mkdir -p "$dir"
if [ "\${1:-}" = --prune-only ]; then prune; exit 0; fi

export PATH="$PATH:/usr/local/bin"
status_dir=\${V6K8S_ETCD_BACKUP_STATUS_DIR:-${ETCD_BACKUP_STATUS_DIR}}
node=${opts.node ?? ""}
# record ok|failed WHAT: the outcome in the status files and, as far as the API answers, on the
# Node (the kubelet's own credentials may annotate its Node).
record() {
    local line
    line="$1 $(date -u +%Y-%m-%dT%H:%M:%SZ) $2"
    mkdir -p "$status_dir"
    printf '%s\\n' "$line" > "$status_dir/last"
    [ "$1" = ok ] && printf '%s\\n' "$line" > "$status_dir/last-success"
    [ -n "$node" ] || return 0
    local annotations=("${ETCD_BACKUP_ANNOTATION}=$line")
    [ "$1" = ok ] && annotations+=("${ETCD_BACKUP_SUCCESS_ANNOTATION}=$line")
    kubectl --kubeconfig=${PATHS.kubeletKubeconfig} --request-timeout=20s annotate --overwrite node "$node" "\${annotations[@]}" >/dev/null ||
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
${S3_FUNCTIONS}

${localEtcdContainer('failed "no running etcd container on this node"')}

name=etcd-$(date -u +%Y%m%dT%H%M%SZ).db
# Inside the pod: the data directory is its only writable mount.
part=${ETCD_DATA_DIR}/v6k8s-snapshot.part
rm -f "$part"
ctr --namespace k8s.io tasks exec --exec-id "v6k8s-backup-$$" "$id" etcdctl --endpoints=https://[::1]:2379 \\
    --cacert=${PATHS.etcdCa.cert} --cert=${PATHS.etcdServer.cert} --key=${PATHS.etcdServer.key} \\
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
    stored=$(tr -d '\\r' <<<"$out" | awk 'tolower($1) == "content-length:" {print $2}')
    [ "$stored" = "$size" ] || failed "s3://$S3_BUCKET/$key holds '$stored' bytes, $name has $size"
    keys=$(s3_list 2>&1) || failed "listing s3://$S3_BUCKET/$(s3_key '') failed: $(s3_error "$keys")"
    mapfile -t keys <<<"$keys"
    for ((i = 0; i < \${#keys[@]} - S3_KEEP; i++)); do
        out=$(s3 "/\${keys[i]}" -X DELETE 2>&1) ||
            failed "deleting the old s3://$S3_BUCKET/\${keys[i]} failed: $(s3_error "$out")"
    done
    echo "uploaded s3://$S3_BUCKET/$key ($size bytes; the $S3_KEEP newest kept)"
    where="$where s3://$S3_BUCKET/$key"
fi
record ok "$where"
`;
}

export function renderEtcdBackupService(): string {
    return `# Rendered by v6k8s: one etcd snapshot (started by ${ETCD_BACKUP_UNIT}.timer).
[Unit]
Description=v6k8s etcd snapshot
After=kubelet.service

[Service]
Type=oneshot
ExecStart=/bin/bash ${ETCD_BACKUP_SCRIPT_PATH}
`;
}

export function renderEtcdBackupTimer(): string {
    return `# Rendered by v6k8s: an etcd snapshot every 6 hours; a missed one runs at the next boot.
[Unit]
Description=v6k8s etcd snapshot every 6 hours

[Timer]
OnCalendar=*-*-* 00/6:00:00
RandomizedDelaySec=15min
Persistent=true

[Install]
WantedBy=timers.target
`;
}
