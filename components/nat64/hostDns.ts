// Every host's resolv.conf: the NAT64 gateways' DNS64 resolvers first, an upstream resolver last.
// Runs after the gateways are up and before Kubernetes, whose first image pulls need DNS64.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Host, hostStep } from "../hosts/host";
import { sha256 } from "../common/hash";
import { hostDnsCommand } from "./render/gatewayFiles";

export interface HostDnsArgs {
    /** Each host with what must be done on it first (its mesh: the resolvers are mesh addresses). */
    readonly members: readonly { host: Host; after: pulumi.Input<pulumi.Resource>[] }[];
    /** The nameservers every host gets, in order (components/addons/render/plan.ts hostNameservers). */
    readonly nameservers: readonly string[];
    /** Resolvers that must serve before any host points at them (the gateways); default none. */
    readonly resolvers?: pulumi.Input<pulumi.Resource>[];
}

export class HostDns extends pulumi.ComponentResource {
    /** Per host, in `members` order, the command that wrote its resolv.conf; the cluster waits on these. */
    public readonly commands: command.remote.Command[];

    constructor(name: string, args: HostDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:addons:HostDns", name, {}, opts);
        const create = hostDnsCommand(args.nameservers);
        this.commands = args.members.map(
            (m) =>
                new command.remote.Command(
                    `${name}-${m.host.name}`,
                    hostStep(m.host, {
                        create,
                        triggers: [sha256(create)],
                    }),
                    { parent: this, dependsOn: [...m.after, ...(args.resolvers ?? [])] },
                ),
        );
        this.registerOutputs({ commands: this.commands.map((c) => c.urn) });
    }
}
