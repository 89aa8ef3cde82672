// cluster.dns: the records kept in a Hetzner DNS zone through the hcloud provider (Hetzner's DNS
// is part of the Cloud API since 2025: hcloud.Zone, hcloud.ZoneRrset). The zone itself when the
// stack owns it; one record set per planned name and type (render/recordSets.ts), whose values
// follow the hosts' addresses; and the hcloud servers' reverse DNS (hcloud.Rdns), pointing at
// their `<node>.<zone>`. A dedicated server's reverse DNS is set in Robot, not through this API.
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { nodeName } from "../common/names";
import { v6 } from "../common/net";
import type { DnsConfig } from "../config/types";
import { HostAddresses, PlannedRecordSet, RecordNode, RecordService, plannedRecordSets, recordValues } from "./render/recordSets";

/** A host as its records need it. */
export interface ZoneHost {
    readonly name: string;
    readonly publicAddress: pulumi.Input<string>;
    readonly ipv4: pulumi.Input<string | undefined | null>;
    /** An hcloud server's id: its reverse DNS is set. */
    readonly hcloudServerId?: pulumi.Input<number>;
}

/** A public service as its records need it: what must exist before its name is published. */
export interface ZoneService extends RecordService {
    readonly ready?: pulumi.Resource;
}

export interface DnsZoneArgs {
    /** cluster.dns: the zone, whether the stack owns it, the TTL. */
    readonly dns: DnsConfig;
    /** The hcloud API token (a secret). */
    readonly token: pulumi.Input<string>;
    /** The public services, in config order: their dnsName, hosts, and the PublicService to wait for. */
    readonly services: readonly ZoneService[];
    /** The nodes that get `<node>.<zone>` (and, on hcloud, reverse DNS): not those leaving. */
    readonly nodes: readonly RecordNode[];
    /** The hosts' addresses (and hcloud server ids), by name: every node above and every service host. */
    readonly hosts: readonly ZoneHost[];
}

/** What the stack output shows of a record set. */
export interface PublishedRecordSet {
    readonly name: string;
    readonly type: string;
    readonly records: string[];
}

export class DnsZone extends pulumi.ComponentResource {
    /** The zone's name, once it exists (created here, or named by the config). */
    public readonly zone: pulumi.Output<string>;
    /** Every record set, fully qualified, with its values. */
    public readonly recordSets: pulumi.Output<PublishedRecordSet[]>;

    constructor(name: string, args: DnsZoneArgs, opts?: pulumi.ComponentResourceOptions) {
        // Not `args`: a component's inputs are kept in state, and these hold the API token.
        super("v6k8s:dns:DnsZone", name, {}, opts);
        const provider = new hcloud.Provider(`${name}-provider`, { token: args.token }, { parent: this });
        const child = { parent: this, provider };
        const dns = args.dns;
        this.zone = dns.manageZone
            ? new hcloud.Zone(`${name}-zone`, { name: dns.zone, mode: "primary", ttl: dns.ttl }, child).name
            : pulumi.output(dns.zone);
        const byName = new Map(args.hosts.map((h) => [h.name, h]));
        // Each set waits only on its own hosts' addresses: no set depends on every host.
        const values = (set: PlannedRecordSet) =>
            pulumi.all(set.hosts.map((h) => pulumi.all([byName.get(h)!.publicAddress, byName.get(h)!.ipv4]))).apply((addrs) => {
                const m = new Map<string, HostAddresses>(set.hosts.map((h, i) => [h, { ipv6: addrs[i][0], ipv4: addrs[i][1] ?? null }]));
                return recordValues(set, m);
            });
        const sets = plannedRecordSets(dns.zone, args.services, args.nodes).map((set) => {
            const records = values(set);
            const ready = set.service === null ? undefined : args.services[set.service].ready;
            // A service's name is published once the service serves on its hosts.
            new hcloud.ZoneRrset(
                set.id,
                { zone: this.zone, name: set.name, type: set.type, ttl: dns.ttl, records },
                { ...child, dependsOn: ready ? [ready] : [] },
            );
            return records.apply((r) => ({ name: set.fqdn, type: set.type, records: r.map((x) => x.value) }));
        });
        for (const h of args.hosts) {
            if (h.hcloudServerId === undefined || !args.nodes.some((n) => n.name === h.name)) continue;
            const ptr = nodeName(h.name, dns.zone);
            const ipv6 = pulumi.output(h.publicAddress).apply((a) => v6(a, `${h.name} public address`));
            new hcloud.Rdns(`${name}-rdns-${h.name}-ipv6`, { serverId: h.hcloudServerId, ipAddress: ipv6, dnsPtr: ptr }, child);
            if (args.nodes.find((n) => n.name === h.name)!.ipv4) {
                const ipv4 = pulumi.output(h.ipv4).apply((a) => a ?? "");
                new hcloud.Rdns(`${name}-rdns-${h.name}-ipv4`, { serverId: h.hcloudServerId, ipAddress: ipv4, dnsPtr: ptr }, child);
            }
        }
        this.recordSets = pulumi.all(sets);
        this.registerOutputs({ zone: this.zone, recordSets: this.recordSets });
    }
}
