// Kubernetes on one host, over SSH: certificates, then configs and manifests, then binaries, then
// (re)start. Each step's trigger is a hash of what it applies. The phases are declared one by one
// because cluster.ts interleaves them across hosts (the version-skew order: every apiserver, then
// the controller-managers and schedulers, then each kubelet, drained): `after` for the skew
// preflight and the certificates, `start(after)` for files, binaries and start; on a
// control-plane node `controllers` (its staged controller-manager and scheduler manifests) and
// `kubelet` (its kubelet's release); on every node `drain` and `uncordon` around the kubelet's change.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../common/hash";
import { Host, hostStep } from "../hosts/host";
import { renderInstallBinaries, BinaryVersions } from "../runtime/render/installBinaries";
import { nodeKubernetesFiles } from "./hostFiles";
import { certificatesAnnotation, heldProfiles, hostPkiFiles, pkiFilesHash } from "./pkiFiles";
import type { ClusterPki } from "./pki/clusterPki";
import { CA_PROFILES, Signer } from "./pki/profiles";
import type { ClusterFacts, NodeFacts } from "./render/inputs";
import { etcdPeerUrl } from "./render/etcd";
import { selfMember } from "./render/members";
import {
    CONTROLLERS_COMMAND,
    ETCD_BACKUP_STORE_COMMAND,
    KUBELET_COMMAND,
    STAGED_MANIFESTS,
    binariesCommand,
    PKI_COMMAND,
    START_COMMAND,
    filesCommand,
    pkiStdinOf,
    preflightCommand,
} from "./steps";
import { NOTHING_TO_REAPPLY, filesOnStdin } from "../hosts/render/commands";
import { S3Credentials, s3HostFiles } from "./render/etcdBackupS3";
import type { EtcdBackupS3Config } from "../config/types";
import { parseEncryptionKeys } from "../config/encryptionKey";
import { renderDrainForKubelet, renderUncordonAfterKubelet } from "./render/kubeletUpgrade";

/**
 * A step about this node that runs on its anchor: triggered by its script alone, not by either
 * host's identity (a reinstalled machine has nothing to drain); a new connection runs the no-op update.
 */
const anchoredStep = (anchor: Host, script: string): command.remote.CommandArgs => ({
    connection: anchor.connection,
    create: script,
    update: NOTHING_TO_REAPPLY,
    triggers: [sha256(script)],
});

export interface NodeKubernetesArgs {
    /** The host, reached over SSH; its roles decide control plane or worker. */
    readonly host: Host;
    /** What every node's files share: versions, service range, control-plane members, ports. */
    readonly cluster: ClusterFacts;
    /** This node's facts (addresses, roles); known once its public address is. */
    readonly node: pulumi.Output<NodeFacts>;
    /** The cluster PKI: the CA certificates and this node's leaves and keys (secrets) are copied to the host. */
    readonly pki: ClusterPki;
    /** The Kubernetes, containerd and runc versions to install (and where from). */
    readonly versions: BinaryVersions;
    /** The `encryptionKey` secret (validated by the config loader); written to control-plane nodes only. */
    readonly encryptionKey: pulumi.Output<string>;
    /** Start with etcd's --initial-cluster-state=existing (a control-plane node joining). */
    readonly joinEtcd: boolean;
    /** Resources that must be done before anything here runs (the preflight, then the certificates). */
    readonly after: pulumi.Input<pulumi.Resource>[];
    /** cluster.etcdBackup.s3 and its credentials (the secrets), for a control-plane node's backups. */
    readonly etcdBackupS3?: { readonly store: EtcdBackupS3Config; readonly credentials: pulumi.Output<S3Credentials> };
}

export class NodeKubernetes extends pulumi.ComponentResource {
    /** The pki step: this node's certificates and keys (and encryption config) are on the host. */
    public readonly certificates: command.remote.Command;
    /**
     * Control-plane nodes: the step writing the S3 store's settings and credentials for the etcd
     * backups (none without a store: it then removes earlier ones).
     */
    public readonly etcdBackupStore?: command.remote.Command;
    /** A hash of everything this node applies: changes exactly when the start step re-runs. */
    public readonly appliedHash: pulumi.Output<string>;
    private readonly prefix: string;
    private readonly host: Host;
    private readonly controlPlane: boolean;
    private readonly kubernetesVersion: string;
    private readonly preflight: command.remote.Command;
    private readonly stagedHash: pulumi.Output<string>;
    private readonly pkiHash: pulumi.Output<string>;
    private readonly files: pulumi.Output<string>;
    private readonly binariesHash: string;

    constructor(name: string, args: NodeKubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:controlplane:NodeKubernetes", name, {}, opts);
        const { host, pki } = args;
        const controlPlane = host.config.roles.includes("control-plane");
        const child = { parent: this };

        // Certificates and keys this host holds; keys only for what it needs, CA keys never.
        const mine = heldProfiles(host.name, pki.profiles);
        const signers = CA_PROFILES.map((c) => c.id);
        const pkiFiles = pulumi
            .all([
                pulumi.all(signers.map((s) => pki.cas[s].certPem)),
                pulumi.all(mine.map((p) => pulumi.all([pki.leaf(p.id).certPem, pki.leaf(p.id).keyPem]))),
                pulumi.all([pki.serviceAccount.publicKeyPem, pki.serviceAccount.privateKeyPem]),
                args.encryptionKey,
            ])
            .apply(([caPems, leaves, sa, encryptionKey]) => {
                // The encryption config is key material: with the other keys, in this (secret) step, mode 0600.
                let encryptionKeys: string[] | undefined;
                if (controlPlane) {
                    const parsed = parseEncryptionKeys(encryptionKey);
                    if ("problem" in parsed) throw new pulumi.ResourceError(`encryptionKey: ${parsed.problem}`, this);
                    encryptionKeys = parsed.keys;
                }
                return hostPkiFiles(
                    { name: host.name, controlPlane },
                    mine,
                    {
                        caCerts: Object.fromEntries(signers.map((s, i) => [s, caPems[i]])) as Record<Signer, string>,
                        leaves: Object.fromEntries(mine.map((p, i) => [p.id, { cert: leaves[i][0], key: leaves[i][1] }])),
                        serviceAccount: { publicKey: sa[0], privateKey: sa[1] },
                    },
                    { encryptionKeys },
                );
            });
        // Plain, not secret: a sha256 reveals nothing of the keys (certificates, encryption key), and a
        // secret trigger breaks the command plugin at preview ("triggers[0]: malformed secret: missing value").
        const pkiStdin = pkiFiles.apply(pkiStdinOf);
        const pkiHash = pulumi.unsecret(pkiFiles.apply(pkiFilesHash));

        const rendered = pulumi.all([args.node, pkiHash]).apply(([node, certsHash]) => {
            const hostFiles = nodeKubernetesFiles(args.cluster, node, {
                versions: args.versions,
                joinEtcd: args.joinEtcd,
                certificatesHash: certificatesAnnotation(certsHash),
            });
            return {
                files: filesCommand(
                    hostFiles,
                    node.controlPlane ? { name: node.name, peerUrl: etcdPeerUrl(selfMember(args.cluster, node)) } : undefined,
                ),
                // What the controllers step puts in place (a change elsewhere must not re-run it).
                staged: sha256(STAGED_MANIFESTS.map((p) => `${p}\n${hostFiles.get(p)?.content ?? ""}`).join("\n")),
            };
        });
        const files = rendered.apply((r) => r.files);
        const skewCheck = preflightCommand(args.versions.kubernetes, controlPlane);
        const binariesHash = sha256(renderInstallBinaries(args.versions, { kubectl: controlPlane }));

        // The skew preflight runs first, as its own step: a refused version changes nothing on the
        // host, and its error (the command text) holds no key.
        const preflight = new command.remote.Command(
            `${name}-preflight`,
            hostStep(host, {
                create: skewCheck,
                triggers: [sha256(skewCheck)],
            }),
            { ...child, dependsOn: args.after },
        );
        // Keys travel on stdin (secret): the command text, which errors print and the host's
        // process list shows, is the same fixed installer on every host.
        const pkiStep = new command.remote.Command(
            `${name}-pki`,
            hostStep(host, {
                create: PKI_COMMAND,
                stdin: pulumi.secret(pkiStdin),
                triggers: [pkiHash, sha256(PKI_COMMAND)],
            }),
            { ...child, dependsOn: [preflight], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
        );
        if (controlPlane) {
            // Its own step, not the pki one: a new S3 key must not restart the control plane (the
            // pki files' hash is the static pods' certificates annotation).
            const s3 = args.etcdBackupS3;
            const credentials: pulumi.Output<S3Credentials | undefined> = s3 ? s3.credentials : pulumi.output(undefined);
            const storeStdin = credentials.apply((c) => filesOnStdin(s3HostFiles(host.name, s3?.store, c)));
            this.etcdBackupStore = new command.remote.Command(
                `${name}-etcd-backup-s3`,
                hostStep(host, {
                    create: ETCD_BACKUP_STORE_COMMAND,
                    stdin: pulumi.secret(storeStdin),
                    // A sha256 reveals nothing of the credentials; a secret trigger breaks previews (above).
                    triggers: [pulumi.unsecret(storeStdin.apply(sha256)), sha256(ETCD_BACKUP_STORE_COMMAND)],
                }),
                { ...child, dependsOn: [preflight], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
            );
        }
        this.prefix = name;
        this.host = host;
        this.controlPlane = controlPlane;
        this.kubernetesVersion = args.versions.kubernetes;
        this.preflight = preflight;
        this.stagedHash = rendered.apply((r) => r.staged);
        this.pkiHash = pkiHash;
        this.files = files;
        this.binariesHash = binariesHash;
        this.certificates = pkiStep;
        // A new machine (the identity) counts as applied anew: the cluster-wide wait re-checks.
        this.appliedHash = pulumi
            .all([pkiHash, files.apply(sha256), host.identity])
            .apply(([a, b, id]) => sha256(`${a}${b}${binariesHash}${id}`));
    }

    /**
     * The node's files (configs, manifests: the kubelet restarts what changed), binaries and the
     * (re)start, after its certificates and `after`; returns the start step, the last one: the
     * kubelet runs (and, on an upgraded control-plane node, serves). Called once.
     */
    start(after: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
        const { prefix: name, host, pkiHash, files, binariesHash } = this;
        const child = { parent: this };
        const filesStep = new command.remote.Command(
            `${name}-files`,
            hostStep(host, {
                create: files,
                triggers: [files.apply(sha256)],
            }),
            { ...child, dependsOn: [this.certificates, ...after] },
        );
        const binariesText = binariesCommand(this.controlPlane);
        const binaries = new command.remote.Command(
            `${name}-binaries`,
            hostStep(host, {
                create: binariesText,
                triggers: [sha256(binariesText), binariesHash],
            }),
            { ...child, dependsOn: [filesStep] },
        );
        const started = new command.remote.Command(
            `${name}-start`,
            hostStep(host, {
                create: START_COMMAND,
                // Restart when certificates, configs or binaries changed.
                triggers: [sha256(START_COMMAND), pkiHash, files.apply(sha256), binariesHash],
            }),
            { ...child, dependsOn: [binaries] },
        );
        this.registerOutputs({
            certificates: this.certificates.id,
            etcdBackupStore: this.etcdBackupStore?.id,
            appliedHash: this.appliedHash,
        });
        return started;
    }

    /**
     * Control-plane nodes: the controller-manager and scheduler manifests the files step staged,
     * put in place (the kubelet restarts them). `after`: every control-plane node's start step,
     * so each apiserver serves the release first.
     */
    controllers(after: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
        if (!this.controlPlane) throw new Error(`${this.prefix}: only a control-plane node has controllers`);
        return new command.remote.Command(
            `${this.prefix}-controllers`,
            hostStep(this.host, {
                create: CONTROLLERS_COMMAND,
                triggers: [sha256(CONTROLLERS_COMMAND), this.stagedHash],
            }),
            { parent: this, dependsOn: after },
        );
    }

    /**
     * Before the kubelet changes release: cordon and drain the node, from `anchor` (a control-plane
     * node that stays); nothing when the kubelet is at the release already or not registered.
     */
    drain(anchor: Host, proxyPort: number, after: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
        const script = renderDrainForKubelet(this.host.name, this.kubernetesVersion, anchor.name, { proxyPort });
        return new command.remote.Command(`${this.prefix}-drain`, anchoredStep(anchor, script), {
            parent: this,
            dependsOn: [this.preflight, ...after],
        });
    }

    /** Control-plane nodes: the kubelet at the configured release, restarted (after `drain`). */
    kubelet(after: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
        if (!this.controlPlane) throw new Error(`${this.prefix}: a worker's kubelet changes in its binaries step`);
        return new command.remote.Command(
            `${this.prefix}-kubelet`,
            hostStep(this.host, {
                create: KUBELET_COMMAND,
                triggers: [sha256(KUBELET_COMMAND), this.binariesHash],
            }),
            { parent: this, dependsOn: after },
        );
    }

    /** Once the node reports the release and is Ready: uncordon it if `drain` cordoned it. The node's last step. */
    uncordon(anchor: Host, proxyPort: number, after: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
        const script = renderUncordonAfterKubelet(this.host.name, this.kubernetesVersion, anchor.name, { proxyPort });
        return new command.remote.Command(`${this.prefix}-uncordon`, anchoredStep(anchor, script), { parent: this, dependsOn: after });
    }
}
