// Every file the NAT64 gateway adds to an IPv4 host, keyed by absolute path (the hosts' file shape).
import type { HostFile } from "../../hosts/render/files";
import { NAT64_UNIT_PATH, NAT64_UP_PATH, renderNat64Unit, renderNat64Up } from "./nat64Up";
import { DEFAULT_NAT64_POOL, Nat64Gateway, Nat64Pool, TAYGA_CONF_PATH, renderTaygaConf } from "./tayga";

/** Debian packages the gateway needs on top of the node's networking packages. */
export const NAT64_PACKAGES = ["tayga"] as const;

export function nat64Files(gateway: Nat64Gateway, pool: Nat64Pool = DEFAULT_NAT64_POOL): ReadonlyMap<string, HostFile> {
    return new Map([
        [TAYGA_CONF_PATH, { content: renderTaygaConf(gateway, pool), mode: "0644" }],
        [NAT64_UP_PATH, { content: renderNat64Up(gateway, pool), mode: "0755" }],
        [NAT64_UNIT_PATH, { content: renderNat64Unit(), mode: "0644" }],
    ]);
}
