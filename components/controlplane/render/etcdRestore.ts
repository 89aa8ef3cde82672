// Restoring etcd from a snapshot as a `pulumi up` (cluster.etcdRestore): every control-plane member
// from the same file, in three steps per node, each step of every node done before the next
// step starts anywhere (controlplane/etcdRestore.ts wires them):
//   1. check: etcdutl at the members' version, the snapshot there (downloaded from the S3 store
//      first for an `s3:` one, etcdBackupS3.ts) with the configured sha256 and
//      readable (`etcdutl snapshot status`). A node that fails stops the restore before anything
//      stopped on any node.
//   2. restore: the control plane's manifests (etcd, apiserver, controller-manager, scheduler) moved
//      out of the kubelet's directory and kept; wait until no etcd or apiserver container runs;
//      `etcdutl snapshot restore` into a directory inside the data directory (the same filesystem,
//      also when /var/lib/etcd is a mount point) with --bump-revision and --mark-compacted (every
//      watcher's revision is compacted: clients list again instead of serving a cache newer than
//      the data); the old data kept beside it; the restored data swapped in.
//   3. start: the manifests back, the kubelet restarted (its watches start over), the backup timer
//      on again. The cluster-wide control-plane-ready step then waits for the apiservers and for
//      every etcd member healthy: the members find each other only once all are restored.
// Each step keeps a marker per restore id under ETCD_RESTORE_STATE_DIR: a step run again (a retry,
// a `--replace`) for an id already restored does nothing, and the restore's resources have the id
// as their only trigger (never the host's identity: a reinstalled host must not restore alone).
// The snapshot must come from a cluster that used the encryption keys the config has now
// (Secrets are stored encrypted under them).
import { posix } from "path";
import { RESTORE_ID } from "../../common/names";
import { ETCD_DATA_DIR } from "../paths";
import { renderWaitFunctions } from "../../runtime/render/wait";
import { APISERVER_MANIFEST_PATH } from "./apiserver";
import { ETCD_JOINED_MARKER } from "./activate";
import { CONTROLLER_MANAGER_MANIFEST_PATH } from "./controllerManager";
import { ETCD_MANIFEST_PATH } from "./etcd";
import { ETCD_BACKUP_UNIT } from "./etcdBackup";
import { RUNNING_CONTAINER_FUNCTIONS } from "./etcdMembers";
import { S3_FUNCTIONS, S3_SETTINGS_PATH } from "./etcdBackupS3";
import { ETCD_REJOIN_DIR } from "./etcdRejoin";
import { SCHEDULER_MANIFEST_PATH } from "./scheduler";

export const ETCD_RESTORE_STATE_DIR = "/var/lib/v6k8s/etcd-restore";
/** etcd's revision jumps this far ahead of the snapshot's (kubeadm's and etcd's docs' example). */
export const RESTORE_BUMP_REVISION = 1_000_000_000;
const MANIFESTS = [ETCD_MANIFEST_PATH, APISERVER_MANIFEST_PATH, CONTROLLER_MANAGER_MANIFEST_PATH, SCHEDULER_MANIFEST_PATH];

export interface EtcdRestoreSpec {
    readonly id: string;
    /** Absolute path of the snapshot on the node, or `s3:<object key>` in the etcd backups' S3 store. */
    readonly snapshot: string;
    readonly sha256: string;
    /** "3.6.8": the members' etcd release; etcdutl must be the same. */
    readonly etcdVersion: string;
    /** This member. */
    readonly name: string;
    readonly peerUrl: string;
    /** Every member after the restore, `name=peer URL,...` (the same on each). */
    readonly initialCluster: string;
    readonly clusterToken: string;
    /** Seconds step 2 waits for the containers to stop; default 300. */
    readonly stopTimeoutSeconds?: number;
    /** Seconds between progress lines; default DEFAULT_PROGRESS_SECONDS. */
    readonly progressSeconds?: number;
}

const stateDir = (id: string) => `${ETCD_RESTORE_STATE_DIR}/${id}`;
/** Where the snapshot is on the node: its path, or where step 1 downloads an `s3:` one. */
const localSnapshot = (spec: EtcdRestoreSpec) => (spec.snapshot.startsWith("s3:") ? `${stateDir(spec.id)}/snapshot.db` : spec.snapshot);

/** Step 1's download of an `s3:` snapshot into the restore's state directory. */
function renderDownload(spec: EtcdRestoreSpec): string {
    if (!spec.snapshot.startsWith("s3:")) return "";
    const key = spec.snapshot.slice("s3:".length);
    return `${S3_FUNCTIONS}
s3_configured || fail "the snapshot is ${spec.snapshot}, but this node has no S3 store (cluster.etcdBackup.s3; its step writes ${S3_SETTINGS_PATH})"
mkdir -p "$(dirname "$snapshot")"
umask 077
if [ ! -f "$snapshot" ] || [ "$(sha256sum < "$snapshot" | cut -d' ' -f1)" != ${spec.sha256} ]; then
    s3 "/${key}" -o "$snapshot.part" || fail "downloading s3://$S3_BUCKET/${key} failed"
    mv -f "$snapshot.part" "$snapshot"
    echo "etcd restore $id: downloaded s3://$S3_BUCKET/${key} to $snapshot"
fi
`;
}

/** Written by step 3 on a node whose restore is complete: every later run of any step does nothing. */
export const restoredMarker = (id: string) => `${stateDir(id)}/restored`;

function header(spec: EtcdRestoreSpec, what: string): string {
    if (!RESTORE_ID.test(spec.id)) throw new RangeError(`etcdRestore.id: "${spec.id}" is not a restore id`);
    return `#!/bin/bash
# Rendered by v6k8s. etcd restore ${spec.id} on ${spec.name}: ${what}
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
id=${spec.id}
snapshot='${localSnapshot(spec)}'
fail() { echo "etcd restore $id on ${spec.name}: $*" >&2; exit 1; }
if [ -e ${restoredMarker(spec.id)} ]; then
    echo "etcd restore $id: already done on ${spec.name}: nothing to do"
    exit 0
fi`;
}

/** Step 1: refuses, before anything stops anywhere, a restore that could not finish here. */
export function renderRestoreCheck(spec: EtcdRestoreSpec): string {
    return `${header(spec, "checks that it can run here.")}
command -v etcdutl >/dev/null || fail "etcdutl is not installed (install-binaries.sh puts it on control-plane nodes)"
have=$(etcdutl version 2>&1 | sed -n 1p)
[ "$have" = "etcdutl version: ${spec.etcdVersion}" ] || fail "etcdutl reports '$have'; the members run etcd ${spec.etcdVersion}"
${renderDownload(spec)}[ -f "$snapshot" ] || fail "no snapshot at $snapshot: copy the same file to every control-plane node first"
sum=$(sha256sum < "$snapshot" | cut -d' ' -f1)
[ "$sum" = ${spec.sha256} ] || fail "$snapshot has sha256 $sum, etcdRestore.sha256 says ${spec.sha256}"
status=$(etcdutl snapshot status "$snapshot" -w table 2>&1) || fail "etcdutl cannot read $snapshot: $status"
echo "$status"
echo "etcd restore $id: $snapshot verified on ${spec.name}"
`;
}

/** Step 2: the control plane stopped, the snapshot restored into the data directory, the old data kept. */
export function renderRestoreData(spec: EtcdRestoreSpec): string {
    const dir = stateDir(spec.id);
    const restoring = `${ETCD_DATA_DIR}/.v6k8s-restore-${spec.id}`;
    const before = `${ETCD_DATA_DIR}/.v6k8s-before-restore-${spec.id}`;
    return `${header(spec, "stops the control plane and restores the snapshot into etcd's data directory.")}
${renderWaitFunctions(spec.progressSeconds)}
${RUNNING_CONTAINER_FUNCTIONS}
stopped() { ! running_container etcd >/dev/null && ! running_container kube-apiserver >/dev/null; }
if [ -e ${dir}/data-restored ]; then
    echo "etcd restore $id: the data is already restored on ${spec.name}"
    exit 0
fi
mkdir -p ${dir}/manifests
# The kubelet stops a static pod whose manifest leaves its directory; step 3 brings them back.
for m in ${MANIFESTS.join(" ")}; do
    if [ -e "$m" ]; then mv -f "$m" ${dir}/manifests/; fi
done
systemctl stop ${ETCD_BACKUP_UNIT}.timer || true
wait_until ${spec.stopTimeoutSeconds ?? 300} "etcd and the apiserver on ${spec.name} to stop" "show_pods etcd kube-apiserver" stopped
rm -rf ${restoring}
etcdutl snapshot restore "$snapshot" --data-dir ${restoring} \\
    --name ${spec.name} --initial-cluster ${spec.initialCluster} \\
    --initial-advertise-peer-urls ${spec.peerUrl} --initial-cluster-token ${spec.clusterToken} \\
    --bump-revision ${RESTORE_BUMP_REVISION} --mark-compacted
[ -d ${restoring}/member ] || fail "etcdutl restored no member directory into ${restoring}"
# The old data stays beside (etcd only warns of it); renames within one filesystem.
if [ -d ${ETCD_DATA_DIR}/member ]; then
    mkdir -p ${before}
    mv ${ETCD_DATA_DIR}/member ${before}/member
    echo "etcd restore $id: the data before it is kept in ${before}"
fi
mv ${restoring}/member ${ETCD_DATA_DIR}/member
rmdir ${restoring}
# Whatever a start or a rejoin remembered about the old member is moot now.
rm -rf ${ETCD_JOINED_MARKER} ${ETCD_REJOIN_DIR}
touch ${dir}/data-restored
echo "etcd restore $id: ${spec.name}'s data is the snapshot's now"
`;
}

/** Step 3: the control plane back, the kubelet restarted. */
export function renderRestoreStart(spec: EtcdRestoreSpec): string {
    const dir = stateDir(spec.id);
    const manifestDir = posix.dirname(ETCD_MANIFEST_PATH);
    return `${header(spec, "starts the control plane again on the restored data.")}
[ -e ${dir}/data-restored ] || fail "its data was not restored (the step before did not finish here)"
# Back under a hidden name first (the kubelet skips dotfiles), then renamed into place.
for f in ${dir}/manifests/*.yaml; do
    [ -e "$f" ] || continue
    cp -p "$f" "${manifestDir}/.$(basename "$f").v6k8s-restore"
    mv -f "${manifestDir}/.$(basename "$f").v6k8s-restore" "${manifestDir}/$(basename "$f")"
    rm -f "$f"
done
# The kubelet's informers and pod workers start over on the restored state.
systemctl restart kubelet.service
systemctl start ${ETCD_BACKUP_UNIT}.timer || true
touch ${restoredMarker(spec.id)}
echo "etcd restore $id: the control plane starts again on ${spec.name}"
`;
}
