// The cluster's CoreDNS config. Cluster names from the kubernetes plugin; everything else forwarded
// upstream, with DNS64 synthesising `<gateway nat64 /96>::<ipv4>` for names that have only an A
// record, so IPv6-only pods reach IPv4-only sites through the NAT64 gateway. Not `translate_all`:
// it would rewrite real AAAA answers too, cluster.local ones included (coredns issue 7246).
import * as ipaddr from "ipaddr.js";
import type { Prefix } from "../../network/prefix";
import type { AddressPlan } from "../../network/plan";

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
/** The reverse zone of IPv6 pod and service addresses. */
export const REVERSE_ZONE = "ip6.arpa";
export const DEFAULT_UPSTREAMS = ["/etc/resolv.conf"] as const;
export const DEFAULT_CACHE_SECONDS = 30;

export interface CorefileOptions {
    /** Kubernetes cluster domain; default "cluster.local". */
    readonly clusterDomain?: string;
    /**
     * The NAT64 /96 that dns64 synthesises into (one gateway's), or null: no dns64 without IPv4.
     * Typed from the plan; printed only in the `dns64` block.
     */
    readonly dns64Prefix: Prefix | null;
    /** `forward` targets: resolv.conf paths or resolver addresses; default the node's /etc/resolv.conf. */
    readonly upstreams?: readonly string[];
    /** `cache` TTL in seconds; default 30. */
    readonly cacheSeconds?: number;
}

/** One plugin's lines, so a caller (the lab) can swap a single plugin and keep every other line. */
export interface Stanza {
    readonly plugin: string;
    readonly lines: readonly string[];
}

/** The NAT64 /96 of the IPv4 node with the lowest index, or null when no node has IPv4. */
export function dns64PrefixOf(plan: AddressPlan): Prefix | null {
    const gateway = [...plan.nodes].sort((a, b) => a.index - b.index).find((n) => n.nat64 !== null);
    return gateway?.nat64 ?? null;
}

function checkUpstream(upstream: string): string {
    if (upstream.startsWith("/")) return upstream;
    if (ipaddr.isValid(upstream)) return ipaddr.parse(upstream).toString();
    throw new RangeError(`upstream "${upstream}" is neither a resolv.conf path nor an IP address`);
}

function block(head: string, body: readonly string[]): string[] {
    return body.length === 0 ? [head] : [`${head} {`, ...body.map((l) => `    ${l}`), "}"];
}

export function corefileStanzas(opts: CorefileOptions): Stanza[] {
    const domain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    const upstreams = (opts.upstreams ?? DEFAULT_UPSTREAMS).map(checkUpstream);
    if (upstreams.length === 0) throw new RangeError("at least one upstream resolver is required");
    const stanzas: Stanza[] = [
        { plugin: "errors", lines: ["errors"] },
        { plugin: "health", lines: block("health", ["lameduck 5s"]) },
        { plugin: "ready", lines: ["ready"] },
        {
            plugin: "kubernetes",
            lines: block(`kubernetes ${domain} ${REVERSE_ZONE}`, ["pods insecure", `fallthrough ${REVERSE_ZONE}`, "ttl 30"]),
        },
    ];
    if (opts.dns64Prefix !== null) {
        const prefix = opts.dns64Prefix;
        if (prefix.length !== 96) throw new RangeError(`dns64 prefix must be a /96, got ${prefix}`);
        stanzas.push({ plugin: "dns64", lines: block("dns64", [`prefix ${prefix}`]) });
    }
    stanzas.push(
        { plugin: "forward", lines: block(`forward . ${upstreams.join(" ")}`, ["max_concurrent 1000"]) },
        { plugin: "cache", lines: [`cache ${opts.cacheSeconds ?? DEFAULT_CACHE_SECONDS}`] },
        { plugin: "loop", lines: ["loop"] },
        { plugin: "reload", lines: ["reload"] },
        { plugin: "loadbalance", lines: ["loadbalance"] },
    );
    return stanzas;
}

export function formatCorefile(stanzas: readonly Stanza[], server = ".:53"): string {
    return `${block(
        server,
        stanzas.flatMap((s) => s.lines),
    ).join("\n")}\n`;
}

export function renderCorefile(opts: CorefileOptions): string {
    return formatCorefile(corefileStanzas(opts));
}
