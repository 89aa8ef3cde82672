// Prepares one host's networking over SSH: copy files, activate them, create the WireGuard key.
// Each command re-runs only when what it applies changes (its trigger is a hash of it).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Prefix } from "../network/prefix";
import { prepareCommands } from "./render/commands";
import { sha256 } from "../common/hash";
import { networkFiles } from "./render/files";
import { HostNet, hostNet } from "./render/hostNet";
import type { ForwardedPort, PublicPort } from "./render/nftables";
import { Host, hostStep } from "./host";

export interface NodeNetworkArgs {
    /** The host to prepare, reached over SSH once it is ready (`host.ready`). */
    readonly host: Host;
    /** The cluster /64. */
    readonly clusterUla: Prefix;
    /** Ports this host opens to the internet on purpose, beyond SSH and WireGuard; default none. */
    readonly publicPorts?: readonly PublicPort[];
    /** Ports kube-proxy may forward to pods from outside the mesh (public services, public NodePorts); default none. */
    readonly forwardedPorts?: readonly ForwardedPort[];
}

export class NodeNetwork extends pulumi.ComponentResource {
    /** The resolved network facts of the host (GUA known). */
    public readonly net: pulumi.Output<HostNet>;
    /** The host's WireGuard public key, made on the host; the private key never leaves it. */
    public readonly wireguardPublicKey: pulumi.Output<string>;
    /** The last preparation step: the mesh and anything that needs node networking waits on it. */
    public readonly ready: command.remote.Command;

    constructor(name: string, args: NodeNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:hosts:NodeNetwork", name, {}, opts);
        const { host } = args;
        this.net = host.providerGua.apply((gua) => hostNet(args.clusterUla, host.plan, Prefix.parse(gua)));
        // Only the host's own files: the mesh config needs every peer and is rendered by Mesh.
        const commands = this.net.apply((net) => prepareCommands(networkFiles(net, args.publicPorts ?? [], args.forwardedPorts ?? [])));
        const filesHash = commands.apply((c) => sha256(c.files));

        const files = new command.remote.Command(
            `${name}-files`,
            hostStep(host, {
                create: commands.files,
                triggers: [filesHash],
            }),
            { parent: this, dependsOn: host.ready },
        );
        const activate = new command.remote.Command(
            `${name}-activate`,
            hostStep(host, {
                create: commands.activate,
                // Activation applies the files: re-run it whenever they change.
                triggers: [filesHash, commands.apply((c) => sha256(c.activate))],
            }),
            { parent: this, dependsOn: [files] },
        );
        const key = new command.remote.Command(
            `${name}-wireguard-key`,
            hostStep(host, {
                create: commands.wireguardKey,
                // Its stdout is the public key the mesh reads: a connection change prints it again
                // (the script keeps an existing key) instead of leaving stdout empty.
                update: commands.wireguardKey,
                // Needs wireguard-tools from activation.
                triggers: [commands.apply((c) => sha256(c.wireguardKey))],
            }),
            { parent: this, dependsOn: [activate] },
        );

        this.wireguardPublicKey = key.stdout.apply((s) => s.trim());
        this.ready = key;
        this.registerOutputs({ net: this.net, wireguardPublicKey: this.wireguardPublicKey, ready: this.ready.urn });
    }
}
