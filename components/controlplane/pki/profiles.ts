// Every certificate of the cluster as plain data: who signs it, its subject, SANs and usages, which
// hosts receive it and where it lands. The Pulumi PKI issues exactly these with @pulumi/tls; a test
// issues the same profiles with OpenSSL and verifies chains, usages and SANs.
import { CertPaths, PATHS } from "../paths";

export type Signer = "cluster" | "etcd" | "front-proxy";

/** @pulumi/tls `allowedUses` names. */
export type Usage = "digital_signature" | "key_encipherment" | "cert_signing" | "server_auth" | "client_auth";

export interface CaProfile {
    readonly id: Signer;
    readonly commonName: string;
    readonly paths: CertPaths;
}

export const CA_PROFILES: readonly CaProfile[] = [
    { id: "cluster", commonName: "kubernetes-ca", paths: PATHS.clusterCa },
    { id: "etcd", commonName: "etcd-ca", paths: PATHS.etcdCa },
    { id: "front-proxy", commonName: "front-proxy-ca", paths: PATHS.frontProxyCa },
];

export const CA_USAGES: readonly Usage[] = ["cert_signing", "digital_signature", "key_encipherment"];
const SERVER: readonly Usage[] = ["digital_signature", "key_encipherment", "server_auth"];
const CLIENT: readonly Usage[] = ["digital_signature", "key_encipherment", "client_auth"];
const PEER: readonly Usage[] = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];

export interface CertProfile {
    /** Unique and stable: part of the resource names. */
    readonly id: string;
    readonly signer: Signer;
    readonly commonName: string;
    readonly organization?: string;
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    readonly usages: readonly Usage[];
    /** Node names whose hosts receive the certificate and its key; empty = not pushed (admin). */
    readonly holders: readonly string[];
    readonly paths?: CertPaths;
}

export interface PkiNode {
    readonly name: string;
    readonly controlPlane: boolean;
    /** The mesh (ULA) address. */
    readonly meshAddress: string;
    /** The public IPv6 address. */
    readonly publicAddress: string;
}

export interface PkiInput {
    readonly nodes: readonly PkiNode[];
    /** `<cluster>::1`: the `kubernetes` service address every pod uses. */
    readonly apiserverServiceAddress: string;
    readonly clusterDomain: string;
    /** Extra DNS names or IPs for the apiserver certificate (e.g. a public API name). */
    readonly apiserverExtraNames: readonly string[];
}

const LOOPBACK_IPS = ["::1", "127.0.0.1"];
const isIp = (s: string) => s.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(s);

function apiserverNames(input: PkiInput, node: PkiNode) {
    const d = input.clusterDomain;
    const extra = input.apiserverExtraNames;
    return {
        dnsNames: [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            `kubernetes.default.svc.${d}`,
            "localhost",
            node.name,
            ...extra.filter((n) => !isIp(n)),
        ],
        ipAddresses: [...LOOPBACK_IPS, input.apiserverServiceAddress, node.meshAddress, node.publicAddress, ...extra.filter(isIp)],
    };
}

function controlPlaneProfiles(input: PkiInput, node: PkiNode): CertProfile[] {
    const on = [node.name];
    const etcdNames = { dnsNames: ["localhost", node.name], ipAddresses: [...LOOPBACK_IPS, node.meshAddress] };
    return [
        {
            id: `${node.name}-etcd-server`,
            signer: "etcd",
            commonName: node.name,
            ...etcdNames,
            usages: PEER,
            holders: on,
            paths: PATHS.etcdServer,
        },
        {
            id: `${node.name}-etcd-peer`,
            signer: "etcd",
            commonName: node.name,
            ...etcdNames,
            usages: PEER,
            holders: on,
            paths: PATHS.etcdPeer,
        },
        {
            id: `${node.name}-apiserver`,
            signer: "cluster",
            commonName: "kube-apiserver",
            ...apiserverNames(input, node),
            usages: SERVER,
            holders: on,
            paths: PATHS.apiserver,
        },
        {
            id: `${node.name}-apiserver-etcd-client`,
            signer: "etcd",
            commonName: "kube-apiserver-etcd-client",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.apiserverEtcdClient,
        },
        {
            // system:masters: the apiserver may use every kubelet API without an RBAC binding that
            // would have to exist before the cluster does.
            id: `${node.name}-apiserver-kubelet-client`,
            signer: "cluster",
            commonName: "kube-apiserver-kubelet-client",
            organization: "system:masters",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.apiserverKubeletClient,
        },
        {
            id: `${node.name}-front-proxy-client`,
            signer: "front-proxy",
            commonName: "front-proxy-client",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.frontProxyClient,
        },
        {
            id: `${node.name}-controller-manager`,
            signer: "cluster",
            commonName: "system:kube-controller-manager",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.controllerManagerClient,
        },
        {
            id: `${node.name}-scheduler`,
            signer: "cluster",
            commonName: "system:kube-scheduler",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.schedulerClient,
        },
    ];
}

function nodeProfiles(node: PkiNode): CertProfile[] {
    const on = [node.name];
    return [
        {
            id: `${node.name}-kubelet-client`,
            signer: "cluster",
            commonName: `system:node:${node.name}`,
            organization: "system:nodes",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: on,
            paths: PATHS.kubeletClient,
        },
        {
            id: `${node.name}-kubelet-serving`,
            signer: "cluster",
            commonName: `system:node:${node.name}`,
            organization: "system:nodes",
            dnsNames: [node.name],
            ipAddresses: [node.meshAddress, node.publicAddress],
            usages: SERVER,
            holders: on,
            paths: PATHS.kubeletServing,
        },
    ];
}

/** All leaf certificates, in a stable order: control-plane ones, per-node ones, then admin. */
export function certProfiles(input: PkiInput): CertProfile[] {
    const names = new Set<string>();
    for (const n of input.nodes) {
        if (names.has(n.name)) throw new RangeError(`node ${n.name} is listed twice`);
        names.add(n.name);
    }
    return [
        ...input.nodes.filter((n) => n.controlPlane).flatMap((n) => controlPlaneProfiles(input, n)),
        ...input.nodes.flatMap(nodeProfiles),
        {
            id: "admin",
            signer: "cluster",
            commonName: "v6k8s-admin",
            organization: "system:masters",
            dnsNames: [],
            ipAddresses: [],
            usages: CLIENT,
            holders: [],
        },
    ];
}

/** Which CAs a node needs (certificates only, never CA keys). */
export function trustedCas(node: PkiNode): Signer[] {
    return node.controlPlane ? ["cluster", "etcd", "front-proxy"] : ["cluster"];
}
