// kube-proxy as a DaemonSet on every node (the design's "System services"). IPv6 only, through the
// node-local apiserver proxy, and with no cluster pod CIDR: pods live in per-node /96s, so local
// traffic is whatever enters from the node's pod bridge (detectLocalMode: BridgeInterface).
import { stringify } from "yaml";
import { POD_BRIDGE } from "../../hosts/render/hostNet";
import { localProxyUrl } from "../../controlplane/render/kubeconfig";
import { LOOPBACK, hostPort } from "../../common/net";
import { ANNOTATION_PREFIX, SYSTEM_NODE_CRITICAL } from "../../controlplane/render/staticPod";
import { sha256 } from "../../common/hash";
import {
    APP_LABEL,
    KUBE_PROXY_CONFIG_DIR,
    KUBE_PROXY_HEALTHZ_PORT,
    KUBE_PROXY_METRICS_PORT,
    MANAGED_BY,
    SERVICE_ACCOUNT_DIR,
    SYSTEM_NAMESPACE,
} from "./defaults";
import type { IClusterRoleBinding, IConfigMap, IDaemonSet, IServiceAccount, KubernetesObject } from "./objects";

export const KUBE_PROXY = "kube-proxy";
/** The built-in role kube-proxy needs (services, endpointslices, nodes, events). */
export const NODE_PROXIER_ROLE = "system:node-proxier";
const CONFIG_FILE = "config.conf";
const KUBECONFIG_FILE = "kubeconfig.conf";

export interface KubeProxyInputs {
    /** kube-proxy image, `registry.k8s.io/kube-proxy:v<kubernetesVersion>`. */
    readonly image: string;
    /** Port of the node-local apiserver proxy on [::1] (7445). */
    readonly apiserverProxyPort: number;
    /** `conntrack.maxPerCore`; undefined keeps kube-proxy's default. */
    readonly conntrackMaxPerCore?: number;
    /** `nodePortAddresses`: the prefixes whose node addresses answer NodePorts (kubeProxyNodePortAddresses). */
    readonly nodePortAddresses: readonly string[];
}

/**
 * Where NodePorts answer: the cluster ULA only (the mesh and pods), unless some are made public
 * (`cluster.kubeProxy.publicNodePorts`): then every address, and the host firewall lets in only
 * the public ones from outside (nftables.ts). Without this, kube-proxy answers a NodePort on every
 * node's public address, and Robot servers have no cloud firewall in front.
 */
export function kubeProxyNodePortAddresses(clusterUla: string, publicNodePorts: readonly unknown[]): string[] {
    return publicNodePorts.length > 0 ? ["::/0"] : [clusterUla];
}

/** KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1), only what differs from the defaults. */
export function kubeProxyConfiguration(opts: { readonly nodePortAddresses: readonly string[]; readonly conntrackMaxPerCore?: number }) {
    const { conntrackMaxPerCore } = opts;
    return {
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        // An IPv6 bind address makes IPv6 kube-proxy's primary (and, with IPv6-only nodes, only) family.
        bindAddress: "::",
        healthzBindAddress: hostPort("::", KUBE_PROXY_HEALTHZ_PORT),
        metricsBindAddress: hostPort(LOOPBACK, KUBE_PROXY_METRICS_PORT),
        clientConnection: { kubeconfig: `${KUBE_PROXY_CONFIG_DIR}/${KUBECONFIG_FILE}` },
        mode: "iptables",
        // No clusterCIDR: there is none. Traffic from the pod bridge is local; everything else is
        // masqueraded when it is sent to a service endpoint on another node.
        detectLocalMode: "BridgeInterface",
        detectLocal: { bridgeInterface: POD_BRIDGE },
        nodePortAddresses: [...opts.nodePortAddresses],
        ...(conntrackMaxPerCore === undefined ? {} : { conntrack: { maxPerCore: conntrackMaxPerCore } }),
    };
}

/** kube-proxy's kubeconfig: its ServiceAccount token and the cluster CA from the token volume. */
export function kubeProxyKubeconfig(apiserverProxyPort: number) {
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: "default",
                cluster: { server: localProxyUrl(apiserverProxyPort), "certificate-authority": `${SERVICE_ACCOUNT_DIR}/ca.crt` },
            },
        ],
        users: [{ name: "default", user: { tokenFile: `${SERVICE_ACCOUNT_DIR}/token` } }],
        contexts: [{ name: "default", context: { cluster: "default", user: "default", namespace: SYSTEM_NAMESPACE } }],
        "current-context": "default",
    };
}

const labels = { [APP_LABEL]: KUBE_PROXY };
const meta = (name: string) => ({ name, namespace: SYSTEM_NAMESPACE, labels: { ...labels, ...MANAGED_BY } });

export function kubeProxyObjects(inputs: KubeProxyInputs): KubernetesObject[] {
    const serviceAccount: IServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(KUBE_PROXY) };
    const binding: IClusterRoleBinding = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "v6k8s:kube-proxy", labels: { ...labels, ...MANAGED_BY } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NODE_PROXIER_ROLE },
        subjects: [{ kind: "ServiceAccount", name: KUBE_PROXY, namespace: SYSTEM_NAMESPACE }],
    };
    const configMap: IConfigMap = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: meta(KUBE_PROXY),
        data: {
            [CONFIG_FILE]: stringify(
                kubeProxyConfiguration({ conntrackMaxPerCore: inputs.conntrackMaxPerCore, nodePortAddresses: inputs.nodePortAddresses }),
            ),
            [KUBECONFIG_FILE]: stringify(kubeProxyKubeconfig(inputs.apiserverProxyPort)),
        },
    };
    // kube-proxy reads its configuration once: a changed ConfigMap must roll the DaemonSet.
    const configHash = sha256(JSON.stringify(configMap.data));
    const daemonSet: IDaemonSet = {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: meta(KUBE_PROXY),
        spec: {
            selector: { matchLabels: labels },
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
            template: {
                metadata: { labels, annotations: { [`${ANNOTATION_PREFIX}/config-sha256`]: configHash } },
                spec: {
                    priorityClassName: SYSTEM_NODE_CRITICAL,
                    hostNetwork: true,
                    serviceAccountName: KUBE_PROXY,
                    nodeSelector: { "kubernetes.io/os": "linux" },
                    // Every node, whatever its taints: without kube-proxy no service works there.
                    tolerations: [{ operator: "Exists" }],
                    containers: [
                        {
                            name: KUBE_PROXY,
                            image: inputs.image,
                            imagePullPolicy: "IfNotPresent",
                            command: [
                                "/usr/local/bin/kube-proxy",
                                `--config=${KUBE_PROXY_CONFIG_DIR}/${CONFIG_FILE}`,
                                // The kubelet registers the node under its configured name, not the hostname.
                                "--hostname-override=$(NODE_NAME)",
                            ],
                            env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                            securityContext: { privileged: true },
                            resources: { requests: { cpu: "50m", memory: "32Mi" } },
                            livenessProbe: {
                                httpGet: { host: LOOPBACK, path: "/livez", port: KUBE_PROXY_HEALTHZ_PORT, scheme: "HTTP" },
                                initialDelaySeconds: 15,
                                periodSeconds: 10,
                                timeoutSeconds: 5,
                                failureThreshold: 6,
                            },
                            volumeMounts: [
                                { name: KUBE_PROXY, mountPath: KUBE_PROXY_CONFIG_DIR, readOnly: true },
                                { name: "xtables-lock", mountPath: "/run/xtables.lock" },
                                { name: "lib-modules", mountPath: "/lib/modules", readOnly: true },
                            ],
                        },
                    ],
                    volumes: [
                        { name: KUBE_PROXY, configMap: { name: KUBE_PROXY } },
                        // Shared with the host's iptables users (the CNI firewall plugin): one lock.
                        { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
                        { name: "lib-modules", hostPath: { path: "/lib/modules", type: "Directory" } },
                    ],
                },
            },
        },
    };
    return [serviceAccount, binding, configMap, daemonSet];
}
