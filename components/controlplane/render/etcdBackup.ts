// Scheduled etcd snapshots on every control-plane node: a systemd timer, its oneshot service and the
// script, with retention (the newest few stay). Pure.
//
// etcdctl is not on the hosts, but the running etcd static pod's image has it, at the version of
// the member it talks to. The script runs it there with `ctr` (shipped in the containerd tarball
// v6k8s installs; crictl is not): `ctr tasks exec` in the running etcd container, writing into the
// data directory the pod mounts, then moves the file out on the host. Nothing is downloaded, and
// no second copy of etcd's version or checksum has to be kept.
import { ETCD_DATA_DIR, PATHS } from "../paths";
import { RUNNING_CONTAINER_FUNCTIONS } from "./etcdMembers";

export const ETCD_BACKUP_SCRIPT_PATH = "/usr/local/lib/v6k8s/etcd-backup.sh";
export const ETCD_BACKUP_UNIT = "v6k8s-etcd-backup";
export const ETCD_BACKUP_SERVICE_PATH = `/etc/systemd/system/${ETCD_BACKUP_UNIT}.service`;
export const ETCD_BACKUP_TIMER_PATH = `/etc/systemd/system/${ETCD_BACKUP_UNIT}.timer`;
/** Where snapshots land on the host: `etcd-<UTC time>.db`, mode 0600 (they hold every Secret, encrypted at rest or not). */
export const ETCD_BACKUP_DIR = "/var/backups/etcd";
/** Snapshots kept: every 6 hours, a week's worth. */
export const ETCD_BACKUP_KEEP = 28;

export interface EtcdBackupOptions {
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
export const LOCAL_ETCD_CONTAINER = localEtcdContainer();

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

${LOCAL_ETCD_CONTAINER}

name=etcd-$(date -u +%Y%m%dT%H%M%SZ).db
# Inside the pod: the data directory is its only writable mount.
part=${ETCD_DATA_DIR}/v6k8s-snapshot.part
rm -f "$part"
ctr --namespace k8s.io tasks exec --exec-id "v6k8s-backup-$$" "$id" etcdctl --endpoints=https://[::1]:2379 \\
    --cacert=${PATHS.etcdCa.cert} --cert=${PATHS.etcdServer.cert} --key=${PATHS.etcdServer.key} \\
    snapshot save "$part"
# Only a complete snapshot gets the final name: moved beside it under a hidden name, then renamed.
mv "$part" "$dir/.$name.part"
mv "$dir/.$name.part" "$dir/$name"
prune
echo "saved $dir/$name"
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
