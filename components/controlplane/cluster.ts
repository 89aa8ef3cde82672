// Kubernetes across all hosts: the PKI, then every node's kubelet and static pods, in the order
// the version-skew policy asks of an upgrade (and a first creation takes too): control-plane nodes
// first, all their certificates, then one node at a time its files, binaries (its kubelet kept) and
// start, each waiting for its etcd and apiserver before the next; then every controller-manager and
// scheduler; then one cluster-wide wait; then each control-plane node's kubelet, drained, one at a
// time; then workers in groups of `workerParallelism`, each drained around its new kubelet.
import { KubeletSettingsInput, kubeletSettingsOf } from "../config/kubeletSettings";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, EtcdBackupS3Config, EtcdRestoreConfig, PkiConfig } from "../config/types";
import type { S3Credentials } from "./render/etcdBackupS3";
import { Host, hostStep } from "../hosts/host";
import type { ClusterPlan } from "../network/plan";
import { sha256 } from "../common/hash";
import { waitControlPlaneCommand } from "./steps";
import {
    ControlPlanePlan,
    DEFAULT_WORKER_PARALLELISM,
    binaryVersions,
    clusterFacts,
    controlPlaneNodeRoles,
    controlPlaneStartOrder,
    nodeFacts,
    pkiInput,
} from "./facts";
import { NodeMembership, createNodeMembership } from "./membership";
import { NodeKubernetes } from "./nodeKubernetes";
import { ClusterPki } from "./pki/clusterPki";
import { etcdPeerUrl } from "./render/etcd";
import { renderKubeconfig } from "./render/kubeconfig";
import { httpsUrl } from "../common/net";
import { membershipAnchor } from "./render/nodeRemoval";
import { createEtcdRestore } from "./etcdRestore";

// Exactly what the cluster reads: its hosts, the plan's service addresses, and the cluster.* config
// keys of the same names (so facts.ts's helpers take the Args as they are).
export interface KubernetesClusterArgs {
    /**
     * Every host, in config (index) order. Read of each: its name, roles and `joinEtcd`
     * (Host.config), its mesh address (Host.plan), its public address and connection. Roles decide
     * its steps, certificates and place in the rollout; the control-plane members are in every
     * node's files (the apiserver proxy's backends).
     */
    readonly hosts: readonly Host[];
    /**
     * Hosts leaving the cluster in this run (`leaving: true`): none of their Kubernetes resources is
     * declared, but a leaving control-plane node stays in the etcd bootstrap members'
     * `--initial-cluster` until it is gone from `nodes` (render/etcd.ts); default none.
     */
    readonly leaving?: readonly Host[];
    /**
     * From the address plan (AddressPlan.cluster): the service /112 (apiserver, controller
     * manager), CoreDNS's service address (every kubelet's clusterDNS) and the apiserver's service
     * address (in its certificate).
     */
    readonly serviceAddresses: Pick<ClusterPlan, "services" | "dns" | "apiserverService">;
    /**
     * cluster.kubernetesVersion, "MAJOR.MINOR.PATCH": the binaries every node installs and the
     * control-plane images. A new one upgrades node by node, control plane first.
     */
    readonly kubernetesVersion: string;
    /** cluster.etcdVersion: the members' etcd release instead of the Kubernetes minor's pin; default the pin. */
    readonly etcdVersion?: string;
    /** cluster.containerdVersion: the containerd release installed on every node. */
    readonly containerdVersion: string;
    /** cluster.runcVersion: the runc release installed on every node. */
    readonly runcVersion: string;
    /** cluster.releaseBases: where install-binaries.sh downloads from; unset parts stay upstream. */
    readonly releaseBases: ClusterConfig["releaseBases"];
    /** cluster.registryMirrors: pull-through mirrors by registry host (every node's containerd); default none. */
    readonly registryMirrors: Readonly<Record<string, string>>;
    /** cluster.pki: certificate lifetimes and the generation (bumping it re-issues every leaf key and certificate). */
    readonly pki: PkiConfig;
    /** cluster.apiserverExtraNames: extra names (DNS or IP) in the apiserver certificates. */
    readonly apiserverExtraNames: readonly string[];
    /**
     * cluster.scheduleOnControlPlane: control-plane-only nodes take workloads (no NoSchedule taint:
     * kubelets register without it, the cluster-wide wait removes an old one); false taints them.
     */
    readonly scheduleOnControlPlane: boolean;
    /** cluster.kubelet: every node's kubelet settings below its own block. */
    readonly kubelet: KubeletSettingsInput;
    /** cluster.teardown: node removals only print a line instead of draining nodes and removing etcd members. */
    readonly teardown: boolean;
    /** The apiservers' encryption-at-rest key(s): the `encryptionKey` secret. */
    readonly encryptionKey: pulumi.Output<string>;
    /** Everything that must be done first on every host (the mesh). */
    readonly after: pulumi.Input<pulumi.Resource>[];
    /** Workers prepared at once during creation and upgrades; default 2. */
    readonly workerParallelism?: number;
    /** cluster.etcdBackup.s3 and its credentials: where control-plane nodes upload etcd snapshots; default none. */
    readonly etcdBackupS3?: { readonly store: EtcdBackupS3Config; readonly credentials: pulumi.Output<S3Credentials> };
    /** cluster.etcdRestore: restore etcd from a snapshot on every control-plane node in this run. */
    readonly etcdRestore?: EtcdRestoreConfig;
}

export class KubernetesCluster extends pulumi.ComponentResource {
    private readonly pki: ClusterPki;
    /** `https://[<public address>]:6443` of every control-plane node. */
    public readonly apiserverEndpoints: pulumi.Output<string[]>;
    /** Admin kubeconfig (secret), pointing at the first control-plane node's public address. */
    public readonly adminKubeconfig: pulumi.Output<string>;
    /** Done when every apiserver serves; cluster services wait on this. */
    public readonly controlPlaneReady: command.remote.Command;
    /**
     * The control-plane host that runs the cluster-wide steps (the first in start order): it has
     * kubectl and the apiserver's kubelet client certificate (system:masters).
     */
    public readonly adminHost: Host;
    /** `https://[<mesh address>]:6443` of every control-plane node (known before anything exists). */
    public readonly apiserverMeshEndpoints: string[];
    /** Per node, its Kubernetes steps: control-plane nodes in the order they run, then workers. */
    public readonly nodes: NodeKubernetes[];
    /** Per node (in `nodes`' order), its last step: the kubelet runs at the release, uncordoned. */
    public readonly started: command.remote.Command[];
    /** Per node, the RFC 3339 end of its earliest-expiring certificate (ClusterPki). */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:controlplane:KubernetesCluster", name, {}, opts);
        const child = { parent: this };
        const { hosts } = args;
        // The address plan as the facts read it: the hosts' own plans, in config order.
        const plan: ControlPlanePlan = { cluster: args.serviceAddresses, nodes: hosts.map((h) => h.plan) };
        const isCp = (h: Host) => h.config.roles.includes("control-plane");
        const leaving = args.leaving ?? [];
        const facts = clusterFacts(
            args,
            { ...plan, nodes: [...plan.nodes, ...leaving.map((h) => h.plan)] },
            // Leaving joiners included: a joined member keeps its place while it leaves.
            {
                joining: [...hosts, ...leaving].filter((h) => isCp(h) && h.config.joinEtcd).map((h) => h.name),
                leaving: leaving.map((h) => h.name),
            },
        );

        this.pki = new ClusterPki(
            `${name}-pki`,
            {
                nodes: hosts.map((h) => ({ name: h.name, controlPlane: isCp(h) })),
                input: pulumi.all(hosts.map((h) => h.publicAddress)).apply((addresses) => pkiInput(args, plan, addresses)),
                config: args.pki,
            },
            child,
        );

        this.certificateExpiry = this.pki.certificateExpiry;

        const versions = binaryVersions(args);
        const nodeOf = (h: Host, after: pulumi.Input<pulumi.Resource>[]) =>
            new NodeKubernetes(
                `${name}-${h.name}`,
                {
                    host: h,
                    cluster: facts,
                    node: h.publicAddress.apply((a) =>
                        nodeFacts(h.plan, a, args.scheduleOnControlPlane, kubeletSettingsOf(args.kubelet, h.config.kubelet)),
                    ),
                    pki: this.pki,
                    versions,
                    joinEtcd: h.config.joinEtcd,
                    encryptionKey: args.encryptionKey,
                    after,
                    etcdBackupS3: args.etcdBackupS3,
                },
                child,
            );

        // Membership (drain and remove on deletion, `member add` for joining members) runs on
        // another control-plane node: the anchor.
        const candidates = hosts.map((h) => ({ name: h.name, controlPlane: isCp(h), joining: h.config.joinEtcd }));
        const hostNamed = (n: string) => hosts.find((h) => h.name === n)!;
        const membershipOf = (h: Host, etcdAfter: pulumi.Input<pulumi.Resource>[]): NodeMembership => {
            const self = facts.controlPlane.find((m) => m.name === h.name);
            return createNodeMembership(
                name,
                {
                    host: h,
                    anchor: hostNamed(membershipAnchor(h.name, candidates)),
                    proxyPort: facts.apiserverProxyPort,
                    etcd: self && { peerUrl: etcdPeerUrl(self), joining: h.config.joinEtcd },
                    etcdAfter,
                    teardown: args.teardown,
                },
                this,
            );
        };

        // Control plane: first every node's skew preflight and certificates, then the rest of
        // each node strictly one after the other. Certificates first: when they all expired, a
        // node's etcd can only get a quorum once its peers hold valid certificates too (etcd reads
        // its certificate files at every TLS handshake; new ones are signed by the same CAs, so
        // writing them early changes nothing for running members otherwise). Members joining a
        // running etcd go first: after `etcdctl member add` the cluster lacks a quorum until they
        // start, and they do not wait for readiness, while an existing member would wait for an
        // apiserver that cannot be ready yet. Each one's etcd membership changes just before its
        // files (its `member add`), after the previous node started: one member change at a time,
        // also on removal.
        const cpOrder = controlPlaneStartOrder(hosts, isCp, (h) => h.config.joinEtcd);
        const controlPlane = cpOrder.map((h) => nodeOf(h, args.after));
        const allCertificates = controlPlane.map((n) => n.certificates);
        const cpStarted: command.remote.Command[] = [];
        cpOrder.forEach((h, i) => {
            const previous = cpStarted.at(-1);
            const etcdMember = membershipOf(h, previous ? [previous] : []).etcd!;
            cpStarted.push(controlPlane[i].start([...allCertificates, ...(previous ? [previous] : []), etcdMember]));
        });
        // A restore runs once every control-plane node is as configured (etcdutl installed).
        const restored = args.etcdRestore
            ? createEtcdRestore(
                  name,
                  {
                      restore: args.etcdRestore,
                      hosts: cpOrder,
                      cluster: facts,
                      etcdVersion: versions.etcd!,
                      // The store's settings first: a snapshot from S3 is downloaded with them.
                      after: [...cpStarted, ...controlPlane.map((n) => n.etcdBackupStore!)],
                  },
                  this,
              )
            : [];
        // Then the controller-managers and schedulers: every apiserver serves the release first.
        const controllers = controlPlane.map((n) => n.controllers([...cpStarted, ...restored]));
        const first = cpOrder[0];
        this.adminHost = first;
        this.apiserverMeshEndpoints = facts.controlPlane.map((m) => httpsUrl(m.meshAddress, facts.apiserverPort, "apiserverPort"));
        // Then the control-plane nodes get their role label (and their taint converges): this is
        // the first step with the apiservers up, and it re-runs whenever a control-plane node changed.
        const wait = waitControlPlaneCommand(
            facts.apiserverProxyPort,
            controlPlaneNodeRoles({
                nodes: cpOrder.map((h) => h.config),
                cluster: { scheduleOnControlPlane: args.scheduleOnControlPlane },
            }),
            // The provider's apiserver (the kubeconfig points at this node): it must serve too.
            facts.apiserverPort,
        );
        this.controlPlaneReady = new command.remote.Command(
            `${name}-control-plane-ready`,
            hostStep(first, {
                create: wait,
                // Re-check whenever any control-plane node changed, and after a restore.
                triggers: [
                    sha256(wait),
                    ...controlPlane.map((n) => n.appliedHash),
                    ...(args.etcdRestore ? [`etcd restore ${args.etcdRestore.id}`] : []),
                ],
            }),
            { ...child, dependsOn: [...cpStarted, ...restored, ...controllers] },
        );

        // Then the kubelets, never newer than an apiserver, each drained while it changes release
        // (drain and uncordon run on the node's membership anchor and do nothing when the release
        // stays): the control-plane nodes one at a time, then the workers.
        const anchorOf = (h: Host) => hostNamed(membershipAnchor(h.name, candidates));
        const proxyPort = facts.apiserverProxyPort;
        const cpDone: command.remote.Command[] = [];
        cpOrder.forEach((h, i) => {
            const previous = cpDone.at(-1);
            const drain = controlPlane[i].drain(anchorOf(h), proxyPort, [this.controlPlaneReady, ...(previous ? [previous] : [])]);
            cpDone.push(controlPlane[i].uncordon(anchorOf(h), proxyPort, [controlPlane[i].kubelet([drain])]));
        });

        // Workers: groups of `workerParallelism`, each group after the previous one; a worker's
        // kubelet changes in its binaries step, between its drain and its uncordon.
        const workers: NodeKubernetes[] = [];
        const workersDone: command.remote.Command[] = [];
        const size = args.workerParallelism ?? DEFAULT_WORKER_PARALLELISM;
        const onlyWorkers = hosts.filter((h) => !isCp(h));
        for (let i = 0; i < onlyWorkers.length; i += size) {
            const previousGroup = workersDone.slice(Math.max(0, i - size), i);
            for (const h of onlyWorkers.slice(i, i + size)) {
                membershipOf(h, []);
                const node = nodeOf(h, [...args.after, this.controlPlaneReady, ...previousGroup]);
                workers.push(node);
                const drain = node.drain(anchorOf(h), proxyPort, [...cpDone, ...previousGroup]);
                workersDone.push(node.uncordon(anchorOf(h), proxyPort, [node.start([drain])]));
            }
        }
        this.nodes = [...controlPlane, ...workers];
        this.started = [...cpDone, ...workersDone];

        const cpHosts = hosts.filter(isCp);
        this.apiserverEndpoints = pulumi
            .all(cpHosts.map((h) => h.publicAddress))
            .apply((as) => as.map((a) => httpsUrl(a, facts.apiserverPort, "apiserverPort")));
        const admin = this.pki.leaf("admin");
        this.adminKubeconfig = pulumi.secret(
            pulumi
                .all([this.apiserverEndpoints, this.pki.cas.cluster.certPem, admin.certPem, admin.keyPem])
                .apply(([endpoints, caPem, certPem, keyPem]) =>
                    renderKubeconfig(
                        {
                            server: endpoints[0],
                            ca: { caPem },
                            user: "v6k8s-admin",
                            credentials: { certPem, keyPem },
                        },
                        "v6k8s admin kubeconfig: full access (system:masters). Keep it secret.",
                    ),
                ),
        );
        this.registerOutputs({
            apiserverEndpoints: this.apiserverEndpoints,
            adminKubeconfig: this.adminKubeconfig,
            controlPlaneReady: this.controlPlaneReady.urn,
            adminHost: this.adminHost.name,
            apiserverMeshEndpoints: this.apiserverMeshEndpoints,
            nodes: this.nodes.map((n) => n.urn),
            started: this.started.map((s) => s.urn),
            certificateExpiry: this.certificateExpiry,
        });
    }
}
