// The full WireGuard mesh: every host peers with every other over the cluster ULA. Adding or
// removing a node changes each host's wg0.conf, applied in place (wg syncconf): no restarts.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { relay } from "./barrier";
import { meshCommand } from "./render/commands";
import { sha256 } from "../common/hash";
import { meshFiles } from "./render/files";
import type { MeshPeer } from "./render/hostNet";
import { Host, hostStep } from "./host";
import type { NodeNetwork } from "./nodeNetwork";

/** One host of the mesh. */
export interface MeshMember {
    /** The host, reached over SSH; its ULA is its peers' AllowedIPs for it. */
    readonly host: Host;
    /** The host's prepared network: its WireGuard public key and network facts, and when it is ready. */
    readonly network: NodeNetwork;
}

export interface MeshArgs {
    /** Every host of the cluster: each peers with all the others. */
    readonly members: readonly MeshMember[];
}

export class Mesh extends pulumi.ComponentResource {
    /** Per host, in `members` order, the command that brought its mesh up; cluster bootstrap waits on these. */
    public readonly commands: command.remote.Command[];

    constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:hosts:Mesh", name, {}, opts);
        const all: pulumi.Output<MeshPeer[]> = pulumi.all(
            args.members.map((m) =>
                pulumi.all([m.network.wireguardPublicKey, m.host.publicAddress]).apply(([publicKey, endpoint]) => ({
                    name: m.host.name,
                    publicKey,
                    endpoint,
                    allowedIps: m.host.plan.ula.toString(),
                })),
            ),
        );
        // Every host's config needs every key: through one relay, N hosts make 2N dependency
        // edges instead of N² (barrier.ts). A dot: no host (a DNS label) can be named like it.
        const peers = relay(`${name}.peers`, all, { parent: this });
        this.commands = args.members.map((m) => {
            const create = pulumi.all([m.network.net, peers]).apply(([net, all]) => meshCommand(meshFiles(net, all)));
            return new command.remote.Command(
                `${name}-${m.host.name}`,
                hostStep(m.host, {
                    create,
                    triggers: [create.apply(sha256)],
                }),
                { parent: this, dependsOn: [m.network.ready] },
            );
        });
        this.registerOutputs({ commands: this.commands.map((c) => c.urn) });
    }
}
