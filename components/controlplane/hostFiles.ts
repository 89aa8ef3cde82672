// Every Kubernetes file one host receives besides its certificates: runtime, kubelet, manifests,
// the apiserver proxy, and the install and start scripts. Pure, shared by NodeKubernetes and the
// offline render.
import type { HostFiles } from "../hosts/render/files";
import { START_KUBELET_PATH, renderStartKubelet } from "./render/activate";
import { BinaryVersions, INSTALL_BINARIES_PATH, renderInstallBinaries } from "../runtime/render/installBinaries";
import { ETCD_METRICS_PORT, KUBELET_HEALTHZ_PORT } from "./render/defaults";
import { kubernetesFiles } from "./render/files";
import type { ClusterFacts, NodeFacts } from "./render/inputs";

/** The static-pod annotation that restarts components when their certificates change. */
export const CERTIFICATES_ANNOTATION = "v6k8s.io/certificates";

export interface NodeKubernetesFilesOptions {
    readonly versions: BinaryVersions;
    /** etcd joins a running cluster. */
    readonly joinEtcd: boolean;
    /** A hash of the node's certificates (or a placeholder offline). */
    readonly certificatesHash: string;
}

export function nodeKubernetesFiles(cluster: ClusterFacts, node: NodeFacts, opts: NodeKubernetesFilesOptions): HostFiles {
    // Components read certificates only at start: a new certificate must restart them.
    const withHash = { ...cluster, staticPodAnnotations: { [CERTIFICATES_ANNOTATION]: opts.certificatesHash } };
    const all = new Map(kubernetesFiles(withHash, node, { etcdClusterState: opts.joinEtcd ? "existing" : "new" }));
    all.set(INSTALL_BINARIES_PATH, {
        content: renderInstallBinaries(opts.versions, {
            kubectl: node.controlPlane,
            etcdutl: node.controlPlane && opts.versions.etcd !== undefined,
        }),
        mode: "0755",
    });
    all.set(START_KUBELET_PATH, {
        content: renderStartKubelet({
            controlPlane: node.controlPlane,
            joining: node.controlPlane && opts.joinEtcd,
            kubernetesVersion: cluster.kubernetesVersion,
            apiserverPort: cluster.apiserverPort,
            kubeletHealthzPort: KUBELET_HEALTHZ_PORT,
            etcdMetricsPort: ETCD_METRICS_PORT,
        }),
        mode: "0755",
    });
    return all;
}
