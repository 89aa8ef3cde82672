// The one shape every host has, whichever kind it is: downstream code never asks how it was made.
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { NodeConfig } from "../config/types";
import type { NodePlan } from "../network/plan";
import { NOTHING_TO_REAPPLY } from "./render/commands";
import { sha256 } from "../common/hash";

export interface Host {
    readonly name: string;
    readonly config: NodeConfig;
    /** The node's ULA-side plan (known before anything exists); its `gua` is null for hcloud. */
    readonly plan: NodePlan;
    /** The provider's prefix (usually a /64): from config, or from hcloud once the server exists. */
    readonly providerGua: pulumi.Output<string>;
    /** The public IPv6 address SSH and the WireGuard peers use. */
    readonly publicAddress: pulumi.Output<string>;
    /** The public IPv4 address, when the host has one. */
    readonly ipv4: pulumi.Output<string | undefined>;
    /** SSH as root over IPv6, with the stack's private key (a secret), pinned to the host's key. */
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** The SSH public host key every connection pins (`ssh-ed25519 AAAA…`). */
    readonly hostKey: pulumi.Output<string>;
    /** What must exist before any command runs on the host (the server itself, for hcloud). */
    readonly ready: pulumi.Resource[];
    /**
     * Who the machine is, not how it is reached: a dedicated server's configured SSH host key, the
     * hcloud server's id (its host key is the program's and outlives a replaced server, so the key
     * alone would not tell a new machine). A new identity re-runs every step.
     */
    readonly identity: pulumi.Output<string>;
    /** The hcloud server's id (hcloud hosts only): where its reverse DNS is set. */
    readonly hcloudServerId?: pulumi.Output<number>;
}

/**
 * The arguments of one step on a host. It re-runs (is replaced) when one of `triggers` (hashes of
 * what it applies) or the host's identity changes; a change of the connection alone (a new SSH
 * key) runs `update`, by default a no-op. `update` must print what `create` prints when a later
 * step reads its stdout.
 */
export function hostStep(
    host: Host,
    step: { create: pulumi.Input<string>; triggers: pulumi.Input<string>[]; stdin?: pulumi.Input<string>; update?: pulumi.Input<string> },
): command.remote.CommandArgs {
    return {
        connection: host.connection,
        create: step.create,
        update: step.update ?? NOTHING_TO_REAPPLY,
        ...(step.stdin === undefined ? {} : { stdin: step.stdin }),
        triggers: [...step.triggers, host.identity.apply((id) => sha256(`v6k8s host identity\n${id}`))],
    };
}

/**
 * SSH settings shared by all hosts. `hostKey` (`<type> <base64>`) is pinned: pulumi-command accepts
 * any host key without it. New hcloud servers take a while to accept SSH: retry for ~5 min (a
 * handshake refused for a wrong key is retried too, and then fails the step).
 */
export function sshConnection(
    host: pulumi.Input<string>,
    privateKey: pulumi.Input<string>,
    hostKey: pulumi.Input<string>,
): command.types.input.remote.ConnectionArgs {
    return { host, user: "root", port: 22, privateKey, hostKey, dialErrorLimit: 30, perDialTimeout: 10 };
}
