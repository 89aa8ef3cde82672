// Kubernetes on one host, over SSH: certificates, then configs and manifests, then binaries, then
// (re)start. Each step's trigger is a hash of what it applies; `after` orders hosts (control plane
// one at a time, then workers in small groups).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../hosts/render/commands";
import type { Host } from "../hosts/host";
import { renderInstallBinaries, BinaryVersions } from "../runtime/render/installBinaries";
import { renderSkewCheck } from "../runtime/render/activate";
import { nodeKubernetesFiles } from "./hostFiles";
import { heldProfiles, hostPkiFiles, pkiFilesHash } from "./pkiFiles";
import type { ClusterPki } from "./pki/clusterPki";
import { CA_PROFILES, Signer } from "./pki/profiles";
import type { ClusterFacts, NodeFacts } from "./render/inputs";
import { BINARIES_COMMAND, START_COMMAND, filesCommand, pkiCommand } from "./steps";

export interface NodeKubernetesArgs {
    readonly host: Host;
    readonly cluster: ClusterFacts;
    readonly node: pulumi.Output<NodeFacts>;
    readonly pki: ClusterPki;
    readonly versions: BinaryVersions;
    /** Start with etcd's --initial-cluster-state=existing (a control-plane node joining). */
    readonly joinEtcd: boolean;
    /** Resources that must be done before anything here starts. */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

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
        const mine = heldProfiles(host.name, pki.profiles);
        const signers = CA_PROFILES.map((c) => c.id);
        const pkiFiles = pulumi.all([
            pulumi.all(signers.map((s) => pki.cas[s].certPem)),
            pulumi.all(mine.map((p) => pulumi.all([pki.leaf(p.id).certPem, pki.leaf(p.id).keyPem]))),
            pulumi.all([pki.serviceAccount.publicKeyPem, pki.serviceAccount.privateKeyPem]),
        ]).apply(([caPems, leaves, sa]) => hostPkiFiles({ name: host.name, controlPlane }, mine, {
            caCerts: Object.fromEntries(signers.map((s, i) => [s, caPems[i]])) as Record<Signer, string>,
            leaves: Object.fromEntries(mine.map((p, i) => [p.id, { cert: leaves[i][0], key: leaves[i][1] }])),
            serviceAccount: { publicKey: sa[0], privateKey: sa[1] },
        }));
        const pkiHash = pkiFiles.apply(pkiFilesHash);

        const files = pulumi.all([args.node, pkiHash]).apply(([node, certsHash]) => filesCommand(
            nodeKubernetesFiles(args.cluster, node, { versions: args.versions, joinEtcd: args.joinEtcd, certificatesHash: certsHash.slice(0, 16) }),
        ));
        const skewCheck = renderSkewCheck(args.versions.kubernetes);
        const binariesHash = sha256(renderInstallBinaries(args.versions, { kubectl: controlPlane }));

        const pkiStep = new command.remote.Command(`${name}-pki`, {
            connection,
            // The skew preflight runs first: a refused version changes nothing on the host.
            create: pulumi.secret(pkiFiles.apply((f) => pkiCommand(args.versions.kubernetes, f))),
            triggers: [pkiHash, sha256(skewCheck)],
        }, { ...child, dependsOn: args.after, additionalSecretOutputs: ["stdout", "stderr"] });
        const filesStep = new command.remote.Command(`${name}-files`, {
            connection,
            create: files,
            triggers: [files.apply(sha256)],
        }, { ...child, dependsOn: [pkiStep] });
        const binaries = new command.remote.Command(`${name}-binaries`, {
            connection,
            create: BINARIES_COMMAND,
            triggers: [binariesHash],
        }, { ...child, dependsOn: [filesStep] });
        this.started = new command.remote.Command(`${name}-start`, {
            connection,
            create: START_COMMAND,
            // Restart when certificates, configs or binaries changed.
            triggers: [pkiHash, files.apply(sha256), binariesHash],
        }, { ...child, dependsOn: [binaries] });
        this.appliedHash = pulumi.all([pkiHash, files.apply(sha256)]).apply(([a, b]) => sha256(`${a}${b}${binariesHash}`));
        this.registerOutputs({ started: this.started.id });
    }
}
