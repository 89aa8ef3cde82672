// Every Kubernetes file a node receives, keyed by its absolute path on the host: the runtime and
// the kubelet everywhere, the apiserver proxy everywhere, the control plane on its members.
// Certificates and keys are not here: the PKI step writes them.
import type { HostFile, HostFiles } from "../../hosts/render/files";
import { MANIFEST_DIR, PATHS } from "../paths";
import { APISERVER_MANIFEST_PATH, renderApiserverManifest } from "./apiserver";
import { AUDIT_POLICY_PATH, renderAuditPolicy } from "./audit";
import { AUTHENTICATION_CONFIG_PATH, limitsAnonymous, renderAuthenticationConfig } from "./authentication";
import { APISERVER_PROXY_MANIFEST_PATH, renderApiserverProxyConfig, renderApiserverProxyManifest } from "./apiserverProxy";
import {
    CONTAINERD_CONFIG_PATH,
    CONTAINERD_UNIT_PATH,
    registryHostsFiles,
    renderContainerdConfig,
    renderContainerdUnit,
} from "./containerd";
import { CONTROLLER_MANAGER_MANIFEST_PATH, renderControllerManagerManifest } from "./controllerManager";
import { ETCD_MANIFEST_PATH, EtcdClusterState, etcdClientUrl, etcdPeerUrl, renderEtcdManifest } from "./etcd";
import { ETCD_REJOIN_PATH, renderEtcdRejoin } from "./etcdRejoin";
import { members, selfMember } from "./members";
import { ETCD_METRICS_PORT } from "./defaults";
import {
    ETCD_BACKUP_SCRIPT_PATH,
    ETCD_BACKUP_SERVICE_PATH,
    ETCD_BACKUP_TIMER_PATH,
    renderEtcdBackupScript,
    renderEtcdBackupService,
    renderEtcdBackupTimer,
} from "./etcdBackup";
import { ClusterFacts, NodeFacts } from "./inputs";
import { renderControllerManagerKubeconfig, renderKubeletKubeconfig, renderSchedulerKubeconfig } from "./kubeconfig";
import { KUBELET_UNIT_PATH, renderKubeletConfig, renderKubeletUnit } from "./kubelet";
import { SCHEDULER_MANIFEST_PATH, renderSchedulerManifest } from "./scheduler";

export interface NodeFileOptions {
    /** etcd's --initial-cluster-state on a control-plane node; default "new". */
    readonly etcdClusterState?: EtcdClusterState;
    /** Also write containerd's systemd unit (containerd from the release tarball); default true. */
    readonly containerdUnit?: boolean;
}

const file = (content: string): HostFile => ({ content, mode: "0644" });
// Manifests and kubeconfigs name key files; nobody but root needs to read them.
const restricted = (content: string): HostFile => ({ content, mode: "0600" });

/** The container runtime and the kubelet (every node). */
export function runtimeFiles(cluster: ClusterFacts, node: NodeFacts, opts: NodeFileOptions = {}): HostFiles {
    const mirrors = cluster.registryMirrors ?? {};
    const files: [string, HostFile][] = [
        [CONTAINERD_CONFIG_PATH, file(renderContainerdConfig(cluster.images, mirrors))],
        ...registryHostsFiles(mirrors).map(([p, c]): [string, HostFile] => [p, file(c)]),
    ];
    if (opts.containerdUnit ?? true) files.push([CONTAINERD_UNIT_PATH, file(renderContainerdUnit())]);
    files.push(
        [PATHS.kubeletConfig, file(renderKubeletConfig(cluster, node))],
        [PATHS.kubeletKubeconfig, restricted(renderKubeletKubeconfig(cluster, node))],
        [KUBELET_UNIT_PATH, file(renderKubeletUnit(node))],
    );
    return new Map(files);
}

/** The node-local apiserver proxy (every node). */
export function apiserverProxyFiles(cluster: ClusterFacts): HostFiles {
    const config = renderApiserverProxyConfig(cluster);
    return new Map([
        [PATHS.apiserverProxyConfig, file(config)],
        [APISERVER_PROXY_MANIFEST_PATH, restricted(renderApiserverProxyManifest(cluster))],
    ]);
}

/** etcd and the control-plane components (control-plane nodes only; empty elsewhere). */
export function controlPlaneFiles(cluster: ClusterFacts, node: NodeFacts, opts: NodeFileOptions = {}): HostFiles {
    if (!node.controlPlane) return new Map();
    return new Map([
        [PATHS.controllerManagerKubeconfig, restricted(renderControllerManagerKubeconfig(cluster))],
        [PATHS.schedulerKubeconfig, restricted(renderSchedulerKubeconfig(cluster))],
        // Not secret; the encryption config is (the PKI step writes it with the keys).
        [AUDIT_POLICY_PATH, file(renderAuditPolicy())],
        ...(limitsAnonymous(cluster.kubernetesVersion) ? [[AUTHENTICATION_CONFIG_PATH, file(renderAuthenticationConfig())] as const] : []),
        // Snapshots every 6 hours; start-kubelet.sh enables the timer.
        [ETCD_BACKUP_SCRIPT_PATH, { content: renderEtcdBackupScript({ node: node.name }), mode: "0755" }],
        [ETCD_BACKUP_SERVICE_PATH, file(renderEtcdBackupService())],
        [ETCD_BACKUP_TIMER_PATH, file(renderEtcdBackupTimer())],
        // start-kubelet.sh runs it before the kubelet starts etcd.
        [ETCD_REJOIN_PATH, { content: renderEtcdRejoinFor(cluster, node), mode: "0755" }],
        [ETCD_MANIFEST_PATH, restricted(renderEtcdManifest(cluster, node, opts.etcdClusterState ?? "new"))],
        [APISERVER_MANIFEST_PATH, restricted(renderApiserverManifest(cluster, node))],
        [CONTROLLER_MANAGER_MANIFEST_PATH, restricted(renderControllerManagerManifest(cluster, node))],
        [SCHEDULER_MANIFEST_PATH, restricted(renderSchedulerManifest(cluster, node))],
    ]);
}

function renderEtcdRejoinFor(cluster: ClusterFacts, node: NodeFacts): string {
    const self = selfMember(cluster, node);
    return renderEtcdRejoin({
        name: self.name,
        peerUrl: etcdPeerUrl(self),
        otherClientUrls: members(cluster)
            .filter((m) => m.name !== self.name)
            .map(etcdClientUrl),
        etcdMetricsPort: ETCD_METRICS_PORT,
    });
}

/**
 * All of the above for one node: every other file sorted by path, then the manifests. Written in
 * this order, a static pod never starts on the previous version of a file it mounts.
 */
export function kubernetesFiles(cluster: ClusterFacts, node: NodeFacts, opts: NodeFileOptions = {}): HostFiles {
    const all = [...runtimeFiles(cluster, node, opts), ...apiserverProxyFiles(cluster), ...controlPlaneFiles(cluster, node, opts)];
    const isManifest = (p: string) => p.startsWith(`${MANIFEST_DIR}/`);
    const byPath = ([a]: [string, HostFile], [b]: [string, HostFile]) => (a < b ? -1 : a > b ? 1 : 0);
    return new Map([...all.filter(([p]) => !isManifest(p)).sort(byPath), ...all.filter(([p]) => isManifest(p)).sort(byPath)]);
}
