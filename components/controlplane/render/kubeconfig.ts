// kubeconfig files. On hosts they point at files (certificates are written by the PKI step and can
// be replaced without touching the kubeconfig); the admin kubeconfig embeds everything, base64.
import { CertPaths, PATHS } from "../paths";
import { ClusterFacts, NodeFacts } from "./inputs";
import { LOOPBACK, httpsUrl } from "../../common/net";
import { renderYaml } from "./staticPod";

/** The `clusters[].name` and `contexts[].name` every rendered kubeconfig uses. */
export const KUBECONFIG_CLUSTER_NAME = "v6k8s";

/** PEM text, embedded base64-encoded (`*-data` fields). */
export interface EmbeddedCredentials {
    readonly certPem: string;
    readonly keyPem: string;
}

export type ClientCredentials = CertPaths | EmbeddedCredentials;
export type CaSource = { readonly caFile: string } | { readonly caPem: string };

export interface KubeconfigSpec {
    readonly server: string;
    readonly ca: CaSource;
    /** The user entry's name (a label: the identity is the certificate's subject). */
    readonly user: string;
    readonly credentials: ClientCredentials;
    /** Default KUBECONFIG_CLUSTER_NAME. */
    readonly clusterName?: string;
}

/** `https://[::1]:<port>`: the node-local apiserver proxy every host client uses. */
export function localProxyUrl(proxyPort: number): string {
    return httpsUrl(LOOPBACK, proxyPort, "apiserverProxyPort");
}

const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");

export function kubeconfig(spec: KubeconfigSpec) {
    const cluster = spec.clusterName ?? KUBECONFIG_CLUSTER_NAME;
    const ca = "caFile" in spec.ca ? { "certificate-authority": spec.ca.caFile } : { "certificate-authority-data": b64(spec.ca.caPem) };
    const user =
        "certPem" in spec.credentials
            ? { "client-certificate-data": b64(spec.credentials.certPem), "client-key-data": b64(spec.credentials.keyPem) }
            : { "client-certificate": spec.credentials.cert, "client-key": spec.credentials.key };
    const context = `${spec.user}@${cluster}`;
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster, cluster: { server: spec.server, ...ca } }],
        users: [{ name: spec.user, user }],
        contexts: [{ name: context, context: { cluster, user: spec.user } }],
        "current-context": context,
    };
}

export function renderKubeconfig(spec: KubeconfigSpec, comment = "Rendered by v6k8s."): string {
    if (new URL(spec.server).protocol !== "https:") throw new RangeError(`kubeconfig server ${spec.server} is not https`);
    return renderYaml(comment, kubeconfig(spec));
}

/** A host client: through the local proxy, the cluster CA and a certificate pair on disk. */
function hostKubeconfig(cluster: ClusterFacts, user: string, client: CertPaths, who: string): string {
    return renderKubeconfig(
        { server: localProxyUrl(cluster.apiserverProxyPort), ca: { caFile: PATHS.clusterCa.cert }, user, credentials: client },
        `Rendered by v6k8s: ${who}, through the node-local apiserver proxy.`,
    );
}

export function renderKubeletKubeconfig(cluster: ClusterFacts, node: NodeFacts): string {
    return hostKubeconfig(cluster, `system:node:${node.name}`, PATHS.kubeletClient, `the kubelet of ${node.name}`);
}

export function renderControllerManagerKubeconfig(cluster: ClusterFacts): string {
    return hostKubeconfig(cluster, "system:kube-controller-manager", PATHS.controllerManagerClient, "kube-controller-manager");
}

export function renderSchedulerKubeconfig(cluster: ClusterFacts): string {
    return hostKubeconfig(cluster, "system:kube-scheduler", PATHS.schedulerClient, "kube-scheduler");
}

/** The admin kubeconfig (a stack output): everything embedded, `server` as the caller reaches the API. */
export function renderAdminKubeconfig(opts: {
    server: string;
    caPem: string;
    certPem: string;
    keyPem: string;
    clusterName?: string;
}): string {
    return renderKubeconfig({
        server: opts.server,
        ca: { caPem: opts.caPem },
        user: "v6k8s-admin",
        credentials: { certPem: opts.certPem, keyPem: opts.keyPem },
        clusterName: opts.clusterName,
    });
}
