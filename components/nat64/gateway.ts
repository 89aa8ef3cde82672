// The NAT64 gateway of one IPv4 host, over SSH like the host's own preparation (nodeNetwork.ts):
// copy Tayga's config, its plumbing scripts (outbound masquerade, inbound DNAT) and the hosts'
// DNS64 resolver, then (re)start them. Each step re-runs only when what it applies changes.
// Every other host gets a cleanup step instead, which undoes a gateway it may have been.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { PortConfig, ServiceConfig } from "../config/types";
import { Host, hostStep } from "../hosts/host";
import { sha256 } from "../common/hash";
import type { AddressPlan } from "../network/plan";
import type { Prefix } from "../network/prefix";
import type { Nat64Pool } from "./render/tayga";
import { gatewayActivateCommand, gatewayCleanupCommand, gatewayFiles, gatewayFilesCommand, gatewayInputs } from "./render/gatewayFiles";
import { Gateway, gateways, inboundIpv4Ports } from "../addons/render/plan";

export interface Nat64GatewayArgs {
    /** The IPv4 host the gateway runs on (reached over SSH); its public IPv4 and IPv6 addresses go into the files. */
    readonly host: Host;
    /** The host's gateway facts from the address plan (NAT64 /96, mesh address). */
    readonly gateway: Gateway;
    /**
     * IPv4 ports forwarded to the host's public IPv6 (render/plan.ts inboundIpv4Ports: the node's
     * `ipv4Ports` and the ports of the public services on it); a change rewrites the gateway's files
     * and restarts it.
     */
    readonly inboundPorts: readonly PortConfig[];
    /** cluster.ulaPrefix, the cluster /64: the only clients the DNS64 resolver answers. */
    readonly clusterUla: Prefix;
    /** cluster.upstreamDns: where the DNS64 resolver forwards. */
    readonly upstreamDns: readonly string[];
    /** cluster.nat64Pool: Tayga's IPv4 side (it never leaves the host); a change rewrites the files and restarts Tayga. */
    readonly pool: Nat64Pool;
    /** What must be done first: the host's network activation and its mesh (the resolver listens on wg0's address). */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

export class Nat64Gateway extends pulumi.ComponentResource {
    /** Tayga and the DNS64 resolver run: hosts may resolve and translate through this gateway. */
    public readonly ready: command.remote.Command;

    constructor(name: string, args: Nat64GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:addons:Nat64Gateway", name, {}, opts);
        const { host, gateway } = args;
        const files = pulumi.all([host.publicAddress, host.ipv4]).apply(([publicIpv6, publicIpv4]) => {
            if (!publicIpv4) throw new RangeError(`nat64 gateway ${host.name}: the host has no IPv4 address`);
            return gatewayFiles(gatewayInputs(gateway, args, publicIpv6, publicIpv4));
        });
        const install = files.apply(gatewayFilesCommand);
        const filesHash = install.apply(sha256);
        const activate = gatewayActivateCommand();

        const copy = new command.remote.Command(
            `${name}-files`,
            hostStep(host, {
                create: install,
                triggers: [filesHash],
            }),
            { parent: this, dependsOn: args.after },
        );
        this.ready = new command.remote.Command(
            `${name}-activate`,
            hostStep(host, {
                create: activate,
                // Tayga and unbound read their config only at start: restart whenever a file changed.
                triggers: [filesHash, sha256(activate)],
            }),
            { parent: this, dependsOn: [copy] },
        );
        this.registerOutputs({ ready: this.ready.id });
    }
}

/** What every gateway reads of the config besides its own node (Host.config). */
export interface Nat64Settings {
    /** cluster.ulaPrefix: the only clients the DNS64 resolvers answer. */
    readonly clusterUla: Prefix;
    /** cluster.upstreamDns: where the DNS64 resolvers forward. */
    readonly upstreamDns: readonly string[];
    /** The public services: a gateway forwards the IPv4 ports of those on its host. */
    readonly services: readonly ServiceConfig[];
    /** cluster.nat64Pool: Tayga's IPv4 side on every gateway. */
    readonly pool: Nat64Pool;
}

/** A gateway on every IPv4 host, after that host's mesh is up. `meshUp` is in `hosts` order. */
export function createNat64Gateways(
    plan: AddressPlan,
    hosts: readonly Host[],
    meshUp: readonly pulumi.Resource[],
    settings: Nat64Settings,
): Nat64Gateway[] {
    const nodes = hosts.map((h) => h.config);
    return gateways(plan).map((gw) => {
        const at = hosts.findIndex((h) => h.name === gw.name);
        return new Nat64Gateway(`nat64-${gw.name}`, {
            host: hosts[at],
            gateway: gw,
            inboundPorts: inboundIpv4Ports({ nodes, services: settings.services }, gw.name),
            clusterUla: settings.clusterUla,
            upstreamDns: settings.upstreamDns,
            pool: settings.pool,
            after: [meshUp[at]],
        });
    });
}

export interface Nat64CleanupArgs {
    /** A host that is no NAT64 gateway (no IPv4), reached over SSH. */
    readonly host: Host;
    /**
     * What must be done first: everything that could still point at a gateway on this host, i.e.
     * every host's resolv.conf and CoreDNS's dns64 prefix (the cluster services).
     */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

/**
 * A host without IPv4: removes what a NAT64 gateway left there (render/gatewayFiles.ts: gatewayCleanupCommand).
 *
 * Why a step of its own, on every such host, and not the gateway's `delete` command: when a host
 * loses IPv4 its Nat64Gateway leaves the program, and pulumi-command would run a `delete` then, but
 * also on every replacement of the gateway's steps (any changed file: it would wipe the gateway
 * just set up) and when a node is removed from the stack (over SSH to a host that may be gone, so
 * a dead server could not be removed). A step that stays in the graph runs as a create, in order:
 * after `after`, so resolvers and CoreDNS have moved to other gateways before Tayga and the
 * resolver stop. On a host that never was a gateway it finds no list and does nothing; it re-runs
 * only when its (fixed) text changes, or on a new machine.
 */
export class Nat64Cleanup extends pulumi.ComponentResource {
    constructor(name: string, args: Nat64CleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:addons:Nat64Cleanup", name, {}, opts);
        const create = gatewayCleanupCommand();
        new command.remote.Command(
            `${name}-cleanup`,
            hostStep(args.host, {
                create,
                triggers: [sha256(create)],
            }),
            { parent: this, dependsOn: args.after },
        );
        this.registerOutputs({});
    }
}

/** A cleanup step on every host that is no NAT64 gateway (no IPv4), after `after`. */
export function createNat64Cleanups(plan: AddressPlan, hosts: readonly Host[], after: pulumi.Input<pulumi.Resource>[]): Nat64Cleanup[] {
    const isGateway = new Set(gateways(plan).map((g) => g.name));
    return hosts.filter((h) => !isGateway.has(h.name)).map((host) => new Nat64Cleanup(`nat64-${host.name}`, { host, after }));
}
