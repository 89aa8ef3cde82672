// kube-apiserver on a control-plane node. It advertises its mesh address (the `kubernetes` service
// endpoints), listens on every address, and reaches etcd through the local member only.
import { PKI_DIR, PATHS } from "../paths";
import { AUDIT_LOG_DIR, AUDIT_POLICY_PATH, auditFlags, renderAuditPolicy } from "./audit";
import { ENCRYPTION_CONFIG_PATH } from "./encryption";
import { ETCD_CLIENT_PORT } from "./defaults";
import { ClusterFacts, NodeFacts } from "./inputs";
import { selfMember } from "./members";
import { LOOPBACK, httpsUrl, port } from "../../common/net";
import { serviceRange } from "./serviceRange";
import { ANNOTATION_PREFIX, livenessProbe, manifestPath, podAnnotations, readinessProbe, renderStaticPod, startupProbe } from "./staticPod";
import { sha256 } from "../../common/hash";
import { AUTHENTICATION_CONFIG_PATH, limitsAnonymous, renderAuthenticationConfig } from "./authentication";
import { servingHardeningFlags } from "./hardening";

export const APISERVER_MANIFEST_PATH = manifestPath("kube-apiserver");
/** The CN of PATHS.frontProxyClient: the only client whose request headers the apiserver trusts. */
export const FRONT_PROXY_CLIENT_CN = "front-proxy-client";

export function serviceAccountIssuer(cluster: ClusterFacts): string {
    return `https://kubernetes.default.svc.${cluster.clusterDomain}`;
}

/**
 * `--etcd-servers`: the local member over [::1] only, as kubeadm's stacked etcd does. Listing the
 * others too would change every apiserver's manifest, and so restart every apiserver, whenever a
 * member joins or leaves; an apiserver whose own member is down is not ready, and the node-local
 * proxies send clients to the others.
 */
export function etcdServers(cluster: ClusterFacts, node: NodeFacts): string[] {
    selfMember(cluster, node);
    return [httpsUrl(LOOPBACK, ETCD_CLIENT_PORT)];
}

export function apiserverFlags(cluster: ClusterFacts, node: NodeFacts): string[] {
    const self = selfMember(cluster, node);
    return [
        `--advertise-address=${self.meshAddress}`,
        "--bind-address=::",
        `--secure-port=${port(cluster.apiserverPort, "apiserverPort")}`,
        `--tls-cert-file=${PATHS.apiserver.cert}`,
        `--tls-private-key-file=${PATHS.apiserver.key}`,
        `--client-ca-file=${PATHS.clusterCa.cert}`,
        `--etcd-servers=${etcdServers(cluster, node).join(",")}`,
        `--etcd-cafile=${PATHS.etcdCa.cert}`,
        `--etcd-certfile=${PATHS.apiserverEtcdClient.cert}`,
        `--etcd-keyfile=${PATHS.apiserverEtcdClient.key}`,
        `--service-cluster-ip-range=${serviceRange(cluster)}`,
        `--service-account-issuer=${serviceAccountIssuer(cluster)}`,
        `--service-account-key-file=${PATHS.serviceAccount.publicKey}`,
        `--service-account-signing-key-file=${PATHS.serviceAccount.privateKey}`,
        // The apiserver dials kubelets at their InternalIP (the mesh address, from --node-ip) and
        // verifies their serving certificates, which the cluster CA issues with that IP in the SANs.
        "--kubelet-preferred-address-types=InternalIP",
        `--kubelet-client-certificate=${PATHS.apiserverKubeletClient.cert}`,
        `--kubelet-client-key=${PATHS.apiserverKubeletClient.key}`,
        `--kubelet-certificate-authority=${PATHS.clusterCa.cert}`,
        "--authorization-mode=Node,RBAC",
        // Never DenyServiceExternalIPs: services are exposed through externalIPs on public hosts.
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        `--proxy-client-cert-file=${PATHS.frontProxyClient.cert}`,
        `--proxy-client-key-file=${PATHS.frontProxyClient.key}`,
        `--requestheader-client-ca-file=${PATHS.frontProxyCa.cert}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_CN}`,
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        // Secrets are encrypted before they reach etcd; the PKI step writes the key file (0600).
        `--encryption-provider-config=${ENCRYPTION_CONFIG_PATH}`,
        ...auditFlags(),
        ...servingHardeningFlags(),
        ...(limitsAnonymous(cluster.kubernetesVersion) ? [`--authentication-config=${AUTHENTICATION_CONFIG_PATH}`] : []),
    ];
}

export function renderApiserverManifest(cluster: ClusterFacts, node: NodeFacts): string {
    const p = port(cluster.apiserverPort, "apiserverPort");
    const anonymousLimited = limitsAnonymous(cluster.kubernetesVersion);
    return renderStaticPod(`Rendered by v6k8s: kube-apiserver on ${node.name}, a static pod.`, {
        name: "kube-apiserver",
        image: cluster.images.apiserver,
        command: ["kube-apiserver", ...apiserverFlags(cluster, node)],
        requests: { cpu: "250m" },
        // PKI_DIR holds the etcd client files too (pki/etcd/ca.crt) and the encryption config: one
        // read-only mount. The audit log directory is the only thing the apiserver writes.
        mounts: [
            { name: "k8s-certs", hostPath: PKI_DIR, type: "Directory", readOnly: true },
            { name: "audit-policy", hostPath: AUDIT_POLICY_PATH, type: "File", readOnly: true },
            { name: "audit-log", hostPath: AUDIT_LOG_DIR, type: "DirectoryOrCreate", readOnly: false },
            ...(anonymousLimited
                ? [{ name: "authentication-config", hostPath: AUTHENTICATION_CONFIG_PATH, type: "File" as const, readOnly: true }]
                : []),
        ],
        // The audit policy and the authentication configuration are read only at start and mounted
        // as files: a new one must restart the pod.
        annotations: podAnnotations(cluster, {
            [`${ANNOTATION_PREFIX}/audit-policy`]: sha256(renderAuditPolicy()).slice(0, 16),
            ...(anonymousLimited && { [`${ANNOTATION_PREFIX}/authentication-config`]: sha256(renderAuthenticationConfig()).slice(0, 16) }),
        }),
        // Anonymous requests may read /livez, /readyz and /healthz only (render/authentication.ts):
        // the kubelet's probes and the node-local proxies' checks need nothing more.
        liveness: livenessProbe(LOOPBACK, p, "/livez", "HTTPS"),
        readiness: readinessProbe(LOOPBACK, p, "/readyz", "HTTPS"),
        startup: startupProbe(LOOPBACK, p, "/livez", "HTTPS"),
    });
}
