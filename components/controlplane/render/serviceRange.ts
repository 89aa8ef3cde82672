// The service range and the DNS address as the apiserver, controller-manager and kubelet see them.
import { Prefix, parseV6Address } from "../../network/prefix";
import { ClusterFacts } from "./inputs";
import { v6 } from "../../common/net";

/**
 * The apiserver's IPv6 service allocator takes at most 20 host bits (a /108) on the versions we
 * support without the MultiCIDRServiceAllocator gate; /112 (the project's plan) is valid everywhere.
 */
export const LONGEST_SERVICE_RANGE = 124;
export const SHORTEST_SERVICE_RANGE = 108;

/** RangeError unless the range is a /108../124 (a Prefix is IPv6 without host bits by construction). */
function checkedServiceRange(cluster: ClusterFacts): Prefix {
    const prefix = cluster.serviceRange;
    if (prefix.length < SHORTEST_SERVICE_RANGE || prefix.length > LONGEST_SERVICE_RANGE) {
        throw new RangeError(
            `serviceRange: ${prefix} must be a /${SHORTEST_SERVICE_RANGE} to /${LONGEST_SERVICE_RANGE} (the plan uses /112)`,
        );
    }
    return prefix;
}

/** `cluster.serviceRange` as the flags print it (RFC 5952); RangeError unless a /108../124. */
export function serviceRange(cluster: ClusterFacts): string {
    return checkedServiceRange(cluster).toString();
}

/** `cluster.dnsAddress`, checked to lie inside the service range (the kubelet hands it to every pod). */
export function dnsAddress(cluster: ClusterFacts): string {
    const addr = v6(cluster.dnsAddress, "dnsAddress");
    const range = checkedServiceRange(cluster);
    if (!range.containsAddress(parseV6Address(addr))) {
        throw new RangeError(`dnsAddress: ${addr} is outside the service range ${range}`);
    }
    return addr;
}
