// Kubernetes on one host, over SSH: certificates, then configs and manifests, then binaries, then
// (re)start. Each step's trigger is a hash of what it applies; `after` orders hosts (control plane
// one at a time, then workers in small groups).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { installFilesCommand, sha256 } from "../hosts/render/commands";
import type { HostFile } from "../hosts/render/files";
import type { Host } from "../hosts/host";
import { renderInstallBinaries, INSTALL_BINARIES_PATH, BinaryVersions } from "../runtime/render/installBinaries";
import { START_KUBELET_PATH, renderSkewCheck } from "../runtime/render/activate";
import { nodeKubernetesFiles } from "./hostFiles";
import { PATHS } from "./paths";
import type { ClusterPki } from "./pki/clusterPki";
import { CA_PROFILES, trustedCas } from "./pki/profiles";
import { ENCRYPTION_CONFIG_PATH, parseEncryptionKeys, renderEncryptionConfig } from "./render/encryption";
import type { ClusterFacts, NodeFacts } from "./render/inputs";

export interface NodeKubernetesArgs {
    readonly host: Host;
    readonly cluster: ClusterFacts;
    readonly node: pulumi.Output<NodeFacts>;
    readonly pki: ClusterPki;
    readonly versions: BinaryVersions;
    /** The `encryptionKey` secret (validated by the config loader); written to control-plane nodes only. */
    readonly encryptionKey: pulumi.Output<string>;
    /** Start with etcd's --initial-cluster-state=existing (a control-plane node joining). */
    readonly joinEtcd: boolean;
    /** Resources that must be done before anything here starts. */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

const cert = (content: string): HostFile => ({ content, mode: "0644" });
const key = (content: string): HostFile => ({ content, mode: "0600" });

export class NodeKubernetes extends pulumi.ComponentResource {
    /** The last step: the kubelet runs (and, on an upgraded control-plane node, serves). */
    public readonly started: command.remote.Command;
    /** A hash of everything this node applies: changes exactly when `started` re-runs. */
    public readonly appliedHash: pulumi.Output<string>;

    constructor(name: string, args: NodeKubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:controlplane:NodeKubernetes", name, {}, opts);
        const { host, pki } = args;
        const controlPlane = host.config.roles.includes("control-plane");
        const connection = host.connection;
        const child = { parent: this };

        // Certificates and keys this host holds; keys only for what it needs, CA keys never.
        const mine = pki.profiles.filter((p) => p.holders.includes(host.name) && p.paths);
        const cas = trustedCas({ name: host.name, controlPlane, meshAddress: "", publicAddress: "" });
        const pkiFiles = pulumi.all([
            pulumi.all(cas.map((s) => pki.cas[s].certPem)),
            pulumi.all(mine.map((p) => pulumi.all([pki.leaf(p.id).certPem, pki.leaf(p.id).keyPem]))),
            pulumi.all([pki.serviceAccount.publicKeyPem, pki.serviceAccount.privateKeyPem]),
            args.encryptionKey,
        ]).apply(([caPems, leaves, sa, encryptionKey]) => {
            const files = new Map<string, HostFile>();
            cas.forEach((s, i) => files.set(CA_PROFILES.find((c) => c.id === s)!.paths.cert, cert(caPems[i])));
            mine.forEach((p, i) => {
                files.set(p.paths!.cert, cert(leaves[i][0]));
                files.set(p.paths!.key, key(leaves[i][1]));
            });
            if (controlPlane) {
                files.set(PATHS.serviceAccount.publicKey, cert(sa[0]));
                files.set(PATHS.serviceAccount.privateKey, key(sa[1]));
                // Key material: with the other keys, in this (secret) step, mode 0600.
                const parsed = parseEncryptionKeys(encryptionKey);
                if ("problem" in parsed) throw new pulumi.ResourceError(`encryptionKey: ${parsed.problem}`, this);
                files.set(ENCRYPTION_CONFIG_PATH, key(renderEncryptionConfig(parsed.keys)));
            }
            return files;
        });
        // A digest reveals nothing of the keys: kept out of secrecy so triggers and the certificates
        // annotation stay readable in diffs (the encryption key is a secret config value).
        const pkiHash = pulumi.unsecret(pkiFiles.apply((f) => sha256(installFilesCommand(f))));

        const files = pulumi.all([args.node, pkiHash]).apply(([node, certsHash]) => installFilesCommand(
            nodeKubernetesFiles(args.cluster, node, { versions: args.versions, joinEtcd: args.joinEtcd, certificatesHash: certsHash.slice(0, 16) }),
        ));
        const skewCheck = renderSkewCheck(args.versions.kubernetes);
        const binariesHash = sha256(renderInstallBinaries(args.versions, { kubectl: controlPlane }));

        const pkiStep = new command.remote.Command(`${name}-pki`, {
            connection,
            // The skew preflight runs first: a refused version changes nothing on the host.
            create: pulumi.secret(pkiFiles.apply((f) => `${skewCheck}\n${installFilesCommand(f)}`)),
            triggers: [pkiHash, sha256(skewCheck)],
        }, { ...child, dependsOn: args.after, additionalSecretOutputs: ["stdout", "stderr"] });
        const filesStep = new command.remote.Command(`${name}-files`, {
            connection,
            create: files,
            triggers: [files.apply(sha256)],
        }, { ...child, dependsOn: [pkiStep] });
        const binaries = new command.remote.Command(`${name}-binaries`, {
            connection,
            create: INSTALL_BINARIES_PATH,
            triggers: [binariesHash],
        }, { ...child, dependsOn: [filesStep] });
        this.started = new command.remote.Command(`${name}-start`, {
            connection,
            create: START_KUBELET_PATH,
            // Restart when certificates, configs or binaries changed.
            triggers: [pkiHash, files.apply(sha256), binariesHash],
        }, { ...child, dependsOn: [binaries] });
        this.appliedHash = pulumi.all([pkiHash, files.apply(sha256)]).apply(([a, b]) => sha256(`${a}${b}${binariesHash}`));
        this.registerOutputs({ started: this.started.id });
    }
}
