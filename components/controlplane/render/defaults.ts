// Ports and image defaults. The images of one Kubernetes minor come from one small table, so an
// upgrade is a one-line, reviewable change; a minor that is not in it is an error, never a guess.
import { Images } from "./inputs";
import { COMPONENT_VERSIONS, kubernetesMinor } from "../../common/releases";

// The ports a host's own addresses serve are in common/ports (config/ refuses services on them).
export { APISERVER_PROXY_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from "../../common/ports";
/** The proxy's own liveness endpoint on `[::1]` (HAProxy `monitor-uri`). */
export const APISERVER_PROXY_HEALTH_PORT = 7446;
/** etcd's plain-HTTP metrics and health listener, on `[::1]` only. */
export const ETCD_METRICS_PORT = 2381;
export const CONTROLLER_MANAGER_PORT = 10257;
export const SCHEDULER_PORT = 10259;
export const KUBELET_HEALTHZ_PORT = 10248;
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export const KUBERNETES_REGISTRY = "registry.k8s.io";
/** Docker Hub's official image, 3.2 LTS (the tag Kubespray pins). Docker Hub's default endpoint is
 * IPv4-only, so IPv6-only hosts pull it through DNS64/NAT64 (or set Images.apiserverProxy to a mirror). */
export const HAPROXY_IMAGE = "docker.io/library/haproxy:3.2.19-alpine";

/**
 * The images of a Kubernetes release; RangeError for a minor missing from COMPONENT_VERSIONS.
 * `etcdVersion` ("3.5.36", cluster.etcdVersion) replaces the table's etcd release (image `<v>-0`).
 */
export function defaultImages(kubernetesVersion: string, etcdVersion?: string): Images {
    const minor = kubernetesMinor(kubernetesVersion);
    const v = COMPONENT_VERSIONS[minor];
    if (!v) {
        const known = Object.keys(COMPONENT_VERSIONS)
            .map((k) => `1.${k}`)
            .join(", ");
        throw new RangeError(
            `kubernetesVersion: no etcd/pause versions known for 1.${minor} (known: ${known}); add a row to COMPONENT_VERSIONS`,
        );
    }
    const tag = `v${kubernetesVersion}`;
    return {
        etcd: `${KUBERNETES_REGISTRY}/etcd:${etcdVersion ? `${etcdVersion}-0` : v.etcd}`,
        apiserver: `${KUBERNETES_REGISTRY}/kube-apiserver:${tag}`,
        controllerManager: `${KUBERNETES_REGISTRY}/kube-controller-manager:${tag}`,
        scheduler: `${KUBERNETES_REGISTRY}/kube-scheduler:${tag}`,
        apiserverProxy: HAPROXY_IMAGE,
        pause: `${KUBERNETES_REGISTRY}/pause:${v.pause}`,
    };
}

/** "3.6.8": the etcd release of a Kubernetes release's etcd image ("3.6.8-0": the image's own revision dropped). */
export function etcdRelease(kubernetesVersion: string, etcdVersion?: string): string {
    return defaultImages(kubernetesVersion, etcdVersion).etcd.replace(/^.*:/, "").replace(/-\d+$/, "");
}
