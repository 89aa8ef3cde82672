// The command text of each Kubernetes step on a host, in order: preflight, pki, files, binaries,
// start; and the cluster-wide wait. Pure: NodeKubernetes sends exactly these, and the lab runs them.
import { filesOnStdin, installFilesCommand, installStdinFilesCommand, promoteStagedCommand } from "../hosts/render/commands";
import type { HostFiles } from "../hosts/render/files";
import { OWNERS } from "../hosts/render/owned";
import type { ControlPlaneNodeRole } from "./render/nodeRoles";
import { START_KUBELET_PATH, renderSkewCheck, renderWaitControlPlane } from "./render/activate";
import { INSTALL_BINARIES_PATH } from "../runtime/render/installBinaries";
import { ETCD_MANIFEST_PATH } from "./render/etcd";
import type { EtcdMemberSpec } from "./render/etcdMembers";
import { renderEtcdRestartGate } from "./render/etcdRestartGate";
import { renderProxyReloadAfter, renderProxyReloadBefore } from "./render/apiserverProxyReload";
import { PATHS } from "./paths";
import { CONTROLLER_MANAGER_MANIFEST_PATH } from "./render/controllerManager";
import { SCHEDULER_MANIFEST_PATH } from "./render/scheduler";
import { sha256 } from "../common/hash";

/** The version-skew preflight, its own step: a refused version changes nothing, and its error holds no key. */
export const preflightCommand = (kubernetesVersion: string, controlPlane: boolean): string =>
    renderSkewCheck(kubernetesVersion, { controlPlane });
/**
 * The pki step's text: a fixed installer; the certificates and keys come on its stdin (pkiStdinOf).
 * It removes the keys a node no longer holds (a node that left the control plane). That runs before
 * the files step removes the static pods using them: harmless, as the processes hold their keys in
 * memory, the pods go seconds later, and the node's etcd member was removed from the cluster first
 * (README, day 2).
 */
export const PKI_COMMAND = installStdinFilesCommand(OWNERS.kubernetesPki);
export const pkiStdinOf = (pkiFiles: HostFiles): string => filesOnStdin(pkiFiles);
/** The etcd backups' S3 store (render/etcdBackupS3.ts s3HostFiles) on a control-plane node: the same installer, its own list. */
export const ETCD_BACKUP_STORE_COMMAND = installStdinFilesCommand(OWNERS.etcdBackupStore);
/**
 * Runtime and kubelet configuration, manifests, scripts (nodeKubernetesFiles). A node that left the
 * control plane loses its static-pod manifests here (the kubelet stops etcd, the apiserver, the
 * controller-manager and the scheduler) and the etcd backup timer is stopped and disabled. On a
 * control-plane node (`etcdMember`), a changed etcd manifest is written only once the other members
 * keep a quorum without this one (render/etcdRestartGate.ts).
 */
export function filesCommand(files: HostFiles, etcdMember?: EtcdMemberSpec): string {
    const proxy = files.get(PATHS.apiserverProxyConfig);
    const staged = new Set(STAGED_MANIFESTS.filter((p) => files.has(p)));
    // A changed proxy configuration is reloaded in place (render/apiserverProxyReload.ts).
    const install = proxy
        ? `${renderProxyReloadBefore(sha256(proxy.content))}${installFilesCommand(files, OWNERS.kubernetesFiles, staged)}${renderProxyReloadAfter()}`
        : installFilesCommand(files, OWNERS.kubernetesFiles, staged);
    const manifest = files.get(ETCD_MANIFEST_PATH);
    if (!etcdMember || !manifest) return install;
    return `set -eu\n${renderEtcdRestartGate(etcdMember, sha256(manifest.content))}${install}`;
}
/**
 * The binaries: on a control-plane node an installed kubelet stays (KUBELET_COMMAND changes it,
 * drained, after every apiserver); a worker runs after every apiserver, drained, so it takes all.
 */
export const binariesCommand = (controlPlane: boolean): string =>
    controlPlane ? `${INSTALL_BINARIES_PATH} --keep-kubelet` : INSTALL_BINARIES_PATH;
export const START_COMMAND = START_KUBELET_PATH;

/**
 * The manifests whose change waits for every apiserver (the version-skew policy: a
 * controller-manager or scheduler is never newer than an apiserver it may reach through the
 * node-local proxy): the files step only stages them, the controllers step puts them in place.
 */
export const STAGED_MANIFESTS: readonly string[] = [CONTROLLER_MANAGER_MANIFEST_PATH, SCHEDULER_MANIFEST_PATH];
export const CONTROLLERS_COMMAND = promoteStagedCommand(STAGED_MANIFESTS);
/** A control-plane node's kubelet at the configured release (drained first), then the start step's restart and waits. */
export const KUBELET_COMMAND = `${INSTALL_BINARIES_PATH} && ${START_KUBELET_PATH}`;

/**
 * Runs on the first control-plane node once every control-plane node started: the apiservers
 * serve (its own too, at `localApiserverPort`: the provider's) and every etcd member is started and healthy; then labels the control-plane nodes and
 * converges their taint (facts.ts controlPlaneNodeRoles).
 */
export const waitControlPlaneCommand = (
    proxyPort: number,
    controlPlaneNodes: readonly ControlPlaneNodeRole[] = [],
    localApiserverPort?: number,
): string => renderWaitControlPlane({ proxyPort, controlPlaneNodes, etcdMembers: true, localApiserverPort });
