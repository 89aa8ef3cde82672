// Kubernetes on one host, over SSH: certificates, then configs and manifests, then binaries, then
// (re)start. Each step's trigger is a hash of what it applies; `after` orders hosts (control plane
// one at a time, then workers in small groups).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { INSTALL_STDIN_FILES, filesOnStdin, installFilesCommand, sha256 } from "../hosts/render/commands";
import type { HostFile } from "../hosts/render/files";
import { Host, hostStep } from "../hosts/host";
import { renderInstallBinaries, INSTALL_BINARIES_PATH, BinaryVersions } from "../runtime/render/installBinaries";
import { START_KUBELET_PATH, renderSkewCheck } from "../runtime/render/activate";
import { nodeKubernetesFiles } from "./hostFiles";
import { PATHS } from "./paths";
import type { ClusterPki } from "./pki/clusterPki";
import { CA_PROFILES, trustedCas } from "./pki/profiles";
import type { ClusterFacts, NodeFacts } from "./render/inputs";

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
        const child = { parent: this };

        // Certificates and keys this host holds; keys only for what it needs, CA keys never.
        const mine = pki.profiles.filter((p) => p.holders.includes(host.name) && p.paths);
        const cas = trustedCas({ name: host.name, controlPlane, meshAddress: "", publicAddress: "" });
        const pkiFiles = pulumi.all([
            pulumi.all(cas.map((s) => pki.cas[s].certPem)),
            pulumi.all(mine.map((p) => pulumi.all([pki.leaf(p.id).certPem, pki.leaf(p.id).keyPem]))),
            pulumi.all([pki.serviceAccount.publicKeyPem, pki.serviceAccount.privateKeyPem]),
        ]).apply(([caPems, leaves, sa]) => {
            const files = new Map<string, HostFile>();
            cas.forEach((s, i) => files.set(CA_PROFILES.find((c) => c.id === s)!.paths.cert, cert(caPems[i])));
            mine.forEach((p, i) => {
                files.set(p.paths!.cert, cert(leaves[i][0]));
                files.set(p.paths!.key, key(leaves[i][1]));
            });
            if (controlPlane) {
                files.set(PATHS.serviceAccount.publicKey, cert(sa[0]));
                files.set(PATHS.serviceAccount.privateKey, key(sa[1]));
            }
            return files;
        });
        // Plain, not secret: a sha256 reveals nothing of the keys, and a secret trigger breaks the
        // command plugin at preview ("triggers[0]: malformed secret: missing value").
        const pkiStdin = pkiFiles.apply(filesOnStdin);
        const pkiHash = pulumi.unsecret(pkiStdin.apply(sha256));

        const files = pulumi.all([args.node, pkiHash]).apply(([node, certsHash]) => installFilesCommand(
            nodeKubernetesFiles(args.cluster, node, { versions: args.versions, joinEtcd: args.joinEtcd, certificatesHash: certsHash.slice(0, 16) }),
        ));
        const skewCheck = renderSkewCheck(args.versions.kubernetes);
        const binariesHash = sha256(renderInstallBinaries(args.versions, { kubectl: controlPlane }));

        // The skew preflight runs first, as its own step: a refused version changes nothing on the
        // host, and its error (the command text) holds no key.
        const preflight = new command.remote.Command(`${name}-preflight`, hostStep(host, {
            create: skewCheck,
            triggers: [sha256(skewCheck)],
        }), { ...child, dependsOn: args.after });
        // Keys travel on stdin (secret): the command text, which errors print and the host's
        // process list shows, is the same fixed installer on every host.
        const pkiStep = new command.remote.Command(`${name}-pki`, hostStep(host, {
            create: INSTALL_STDIN_FILES,
            stdin: pulumi.secret(pkiStdin),
            triggers: [pkiHash, sha256(INSTALL_STDIN_FILES)],
        }), { ...child, dependsOn: [preflight], additionalSecretOutputs: ["stdin", "stdout", "stderr"] });
        const filesStep = new command.remote.Command(`${name}-files`, hostStep(host, {
            create: files,
            triggers: [files.apply(sha256)],
        }), { ...child, dependsOn: [pkiStep] });
        const binaries = new command.remote.Command(`${name}-binaries`, hostStep(host, {
            create: INSTALL_BINARIES_PATH,
            triggers: [sha256(INSTALL_BINARIES_PATH), binariesHash],
        }), { ...child, dependsOn: [filesStep] });
        this.started = new command.remote.Command(`${name}-start`, hostStep(host, {
            create: START_KUBELET_PATH,
            // Restart when certificates, configs or binaries changed.
            triggers: [sha256(START_KUBELET_PATH), pkiHash, files.apply(sha256), binariesHash],
        }), { ...child, dependsOn: [binaries] });
        // A new machine (the identity) counts as applied anew: the cluster-wide wait re-checks.
        this.appliedHash = pulumi.all([pkiHash, files.apply(sha256), host.identity])
            .apply(([a, b, id]) => sha256(`${a}${b}${binariesHash}${id}`));
        this.registerOutputs({ started: this.started.id });
    }
}
