// CoreDNS at the cluster's fixed service address, on a few nodes, with DNS64 into one NAT64
// gateway's /96. The Corefile itself comes from components/dns/render/corefile.ts; here are the
// Kubernetes objects around it (RBAC as upstream CoreDNS's deployment repository has it).
import { renderCorefile } from "../../dns/render/corefile";
import type { Prefix } from "../../network/prefix";
import { v6 } from "../../common/net";
import { CONTROL_PLANE_TAINT } from "../../controlplane/render/nodeRoles";
import { APP_LABEL, COREDNS_HEALTH_PORT, COREDNS_READY_PORT, DNS_PORT, MANAGED_BY, SYSTEM_NAMESPACE } from "./defaults";
import type {
    IClusterRole,
    IClusterRoleBinding,
    IConfigMap,
    IDeployment,
    IPodDisruptionBudget,
    IService,
    IServiceAccount,
    KubernetesObject,
} from "./objects";

export const COREDNS = "coredns";
/** The Service keeps kubeadm's name: tools and docs look for `kube-dns`. */
export const DNS_SERVICE = "kube-dns";
const CONFIG_DIR = "/etc/coredns";

export interface CorednsInputs {
    readonly image: string;
    /** The cluster DNS address (`cluster.dns` of the plan): the Service's clusterIP. */
    readonly serviceAddress: string;
    readonly clusterDomain: string;
    /** The NAT64 /96 that dns64 synthesises into, or null when no node has IPv4. */
    readonly dns64Prefix: Prefix | null;
    /** IPv6 resolvers `forward` sends everything else to; never /etc/resolv.conf (no loop through the host). */
    readonly upstreams: readonly string[];
    readonly replicas: number;
    readonly spread: "required" | "preferred";
}

const labels = { [APP_LABEL]: "kube-dns" };
const meta = (name: string) => ({ name, namespace: SYSTEM_NAMESPACE, labels: { ...labels, ...MANAGED_BY } });

export function corefileOf(inputs: CorednsInputs): string {
    for (const u of inputs.upstreams) v6(u, "upstream resolver");
    return renderCorefile({ clusterDomain: inputs.clusterDomain, dns64Prefix: inputs.dns64Prefix, upstreams: inputs.upstreams });
}

export function corednsObjects(inputs: CorednsInputs): KubernetesObject[] {
    if (!Number.isInteger(inputs.replicas) || inputs.replicas < 1)
        throw new RangeError(`coredns replicas: ${inputs.replicas} is not a positive integer`);
    const clusterIP = v6(inputs.serviceAddress, "cluster DNS address");
    const serviceAccount: IServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(COREDNS) };
    const role: IClusterRole = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "system:coredns", labels: { ...labels, ...MANAGED_BY } },
        rules: [
            { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
            { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
        ],
    };
    const binding: IClusterRoleBinding = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "system:coredns", labels: { ...labels, ...MANAGED_BY } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
        subjects: [{ kind: "ServiceAccount", name: COREDNS, namespace: SYSTEM_NAMESPACE }],
    };
    const configMap: IConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: meta(COREDNS), data: { Corefile: corefileOf(inputs) } };
    const spread = {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: inputs.spread === "required" ? "DoNotSchedule" : "ScheduleAnyway",
        labelSelector: { matchLabels: labels },
        // A dead node (tainted unreachable) must not count as an empty domain that blocks rescheduling.
        nodeTaintsPolicy: "Honor",
    } as const;
    const deployment: IDeployment = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta(COREDNS),
        spec: {
            replicas: inputs.replicas,
            selector: { matchLabels: labels },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
            template: {
                metadata: { labels },
                spec: {
                    priorityClassName: "system-cluster-critical",
                    serviceAccountName: COREDNS,
                    // CoreDNS forwards to explicit resolvers; its own resolv.conf is never used for lookups.
                    dnsPolicy: "Default",
                    nodeSelector: { "kubernetes.io/os": "linux" },
                    tolerations: [
                        { key: "CriticalAddonsOnly", operator: "Exists" },
                        { key: CONTROL_PLANE_TAINT.key, effect: CONTROL_PLANE_TAINT.effect },
                    ],
                    topologySpreadConstraints: [spread],
                    containers: [
                        {
                            name: COREDNS,
                            image: inputs.image,
                            imagePullPolicy: "IfNotPresent",
                            args: ["-conf", `${CONFIG_DIR}/Corefile`],
                            resources: { requests: { cpu: "100m", memory: "70Mi" }, limits: { memory: "170Mi" } },
                            ports: [
                                { name: "dns", containerPort: DNS_PORT, protocol: "UDP" },
                                { name: "dns-tcp", containerPort: DNS_PORT, protocol: "TCP" },
                            ],
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                                readOnlyRootFilesystem: true,
                            },
                            livenessProbe: {
                                httpGet: { path: "/health", port: COREDNS_HEALTH_PORT, scheme: "HTTP" },
                                initialDelaySeconds: 60,
                                timeoutSeconds: 5,
                                successThreshold: 1,
                                failureThreshold: 5,
                            },
                            readinessProbe: { httpGet: { path: "/ready", port: COREDNS_READY_PORT, scheme: "HTTP" } },
                            volumeMounts: [{ name: "config-volume", mountPath: CONFIG_DIR, readOnly: true }],
                        },
                    ],
                    volumes: [{ name: "config-volume", configMap: { name: COREDNS, items: [{ key: "Corefile", path: "Corefile" }] } }],
                },
            },
        },
    };
    const service: IService = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { ...meta(DNS_SERVICE), labels: { ...labels, "kubernetes.io/name": "CoreDNS", ...MANAGED_BY } },
        spec: {
            type: "ClusterIP",
            selector: labels,
            // The kubelet hands this address to every pod (clusterDNS): it is fixed, never allocated.
            clusterIP,
            clusterIPs: [clusterIP],
            ipFamilies: ["IPv6"],
            ipFamilyPolicy: "SingleStack",
            ports: [
                { name: "dns", port: DNS_PORT, targetPort: DNS_PORT, protocol: "UDP" },
                { name: "dns-tcp", port: DNS_PORT, targetPort: DNS_PORT, protocol: "TCP" },
            ],
        },
    };
    const budget: IPodDisruptionBudget = {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: meta(COREDNS),
        // maxUnavailable, not minAvailable: a single replica must not block node drains forever.
        spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    };
    return [serviceAccount, role, binding, configMap, deployment, service, budget];
}
