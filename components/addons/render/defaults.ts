// Names, ports and images of the cluster services. Images of one Kubernetes minor come from one
// small table (as in controlplane/render/defaults.ts): a minor missing from it is an error.
import { KUBERNETES_REGISTRY } from "../../controlplane/render/defaults";
import { kubernetesMinor } from "../../common/releases";

export const SYSTEM_NAMESPACE = "kube-system";
/** Namespaces every cluster has: never created or deleted by the program. */
export const BUILTIN_NAMESPACES: readonly string[] = ["default", SYSTEM_NAMESPACE, "kube-public", "kube-node-lease"];

/** kube-proxy's health endpoint (`/healthz`, `/livez`) on every address: the mesh may probe it. */
export const KUBE_PROXY_HEALTHZ_PORT = 10256;
/** kube-proxy's metrics, on `[::1]` only. */
export const KUBE_PROXY_METRICS_PORT = 10249;
/** Where the kube-proxy ConfigMap is mounted in its container. */
export const KUBE_PROXY_CONFIG_DIR = "/var/lib/kube-proxy";

export const COREDNS_HEALTH_PORT = 8080;
export const COREDNS_READY_PORT = 8181;
export const DNS_PORT = 53;

/** Kubernetes' service-account volume, mounted in every pod that has a token. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The label kube-proxy, CoreDNS and the public workloads select on. */
export const APP_LABEL = "k8s-app";
/** Marks every object the program renders (`kubectl get all -l app.kubernetes.io/managed-by=v6k8s`). */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "v6k8s" } as const;

/** CoreDNS per Kubernetes minor, as kubeadm pins it (cmd/kubeadm/app/constants). */
export const COREDNS_VERSIONS: Readonly<Record<number, string>> = {
    31: "v1.11.3",
    32: "v1.11.3",
    33: "v1.12.0",
    34: "v1.12.1",
    35: "v1.13.1",
    36: "v1.14.2",
};

export interface AddonImages {
    readonly kubeProxy: string;
    readonly coredns: string;
}

/** The images of a Kubernetes release; RangeError for a minor missing from COREDNS_VERSIONS. */
export function addonImages(kubernetesVersion: string): AddonImages {
    const minor = kubernetesMinor(kubernetesVersion);
    const coredns = COREDNS_VERSIONS[minor];
    if (!coredns) {
        throw new RangeError(`kubernetesVersion: no CoreDNS version known for 1.${minor}; add a row to COREDNS_VERSIONS`);
    }
    return {
        kubeProxy: `${KUBERNETES_REGISTRY}/kube-proxy:v${kubernetesVersion}`,
        coredns: `${KUBERNETES_REGISTRY}/coredns/coredns:${coredns}`,
    };
}
