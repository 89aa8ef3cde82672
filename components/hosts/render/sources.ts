// Source prefixes as the firewalls take them (cluster.sshPrefixes, cluster.adminPrefixes).
import * as ipaddr from "ipaddr.js";

/**
 * The sources `prefixes` lets in, as a firewall rule takes them: none (anyone) when they hold both
 * families' /0, so the default renders one plain rule.
 */
export function firewallSources(prefixes: readonly string[]): readonly string[] {
    return openToEveryone(prefixes).length === 2 ? [] : prefixes;
}

/** The address families in which `prefixes` hold a /0: everyone on that family's internet. */
export function openToEveryone(prefixes: readonly string[]): ("IPv6" | "IPv4")[] {
    const zero = prefixes.map((p) => ipaddr.parseCIDR(p)).filter(([, length]) => length === 0);
    return (["IPv6", "IPv4"] as const).filter((family) => zero.some(([a]) => a.kind() === family.toLowerCase()));
}
