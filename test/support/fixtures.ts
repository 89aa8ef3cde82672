// Valid raw configs (as the engine hands them, namespace stripped) for tests to mutate.
import { fakeHostKey } from "./hostKeys";

export type RawNode = Record<string, unknown>;
export type RawConfig = { cluster: Record<string, unknown>; nodes: RawNode[] } & Record<string, unknown>;

export const ULA = "fd8a:31c2:7c1f:1::/64";

/** A dedicated node with a made-up host key (fakeHostKey(name)). */
export function dedicated(name: string, index: number, roles: string[], gua: string, extra: RawNode = {}): RawNode {
    return { name, index, kind: "dedicated", roles, gua, hostKey: fakeHostKey(name), ...extra };
}

export function hcloud(name: string, index: number, roles: string[], extra: RawNode = {}): RawNode {
    return { name, index, kind: "hcloud", roles, serverType: "cx33", location: "fsn1", image: "debian-12", ...extra };
}

/** Three control-plane nodes (one with IPv4), one dedicated and one hcloud worker. */
export function baseConfig(): RawConfig {
    return {
        cluster: { ulaPrefix: ULA, kubernetesVersion: "1.34.2" },
        nodes: [
            dedicated("cp1", 1, ["control-plane"], "2001:db8:a:1::/64", { ipv4: "203.0.113.10" }),
            dedicated("cp2", 2, ["control-plane"], "2001:db8:a:2::/64"),
            dedicated("cp3", 3, ["control-plane"], "2001:db8:a:3::/64"),
            dedicated("w1", 11, ["worker"], "2001:db8:b:1::/64"),
            hcloud("w2", 12, ["worker"]),
        ],
    };
}

/** A config of n dedicated nodes: 3 control-plane, the rest workers. */
export function sizedConfig(n: number): RawConfig {
    const nodes = Array.from({ length: n }, (_, i) =>
        dedicated(`n${i + 1}`, i + 1, i < 3 ? ["control-plane"] : ["worker"], `2001:db8:${(i + 1).toString(16)}::/64`),
    );
    if (n < 4) nodes[0].roles = ["control-plane", "worker"];
    return { cluster: { ulaPrefix: ULA, kubernetesVersion: "1.34.2" }, nodes };
}
