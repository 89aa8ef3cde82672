// Reachability over sets of pairs, in parallel; each failure named "from -> to (address)".
import { strict as assert } from "assert";
import { meshDiagnostics } from "../diagnostics";
import { reaches } from "../probes";
import type { LabHost, LabPod, LabState } from "../state";

export interface Target {
    readonly label: string;
    readonly address: string;
}

export function podTarget(p: LabPod): Target {
    return { label: `pod ${p.host}/${p.name}`, address: p.ula };
}

export function hostTarget(h: LabHost): Target {
    return { label: `host ${h.name}`, address: h.wireguardAddress };
}

/** Every pod pings every target (its own pod excluded); returns the pairs that never answered. */
export async function unreachable(pods: readonly LabPod[], targets: readonly Target[], timeoutMs = 10_000): Promise<string[]> {
    const pairs = pods.flatMap((p) => targets.filter((t) => t.address !== p.ula).map((t) => [p, t] as const));
    const results = await Promise.all(
        pairs.map(async ([p, t]) =>
            (await reaches({ ns: p.ns }, t.address, timeoutMs)) ? [] : [`pod ${p.host}/${p.name} -> ${t.label} (${t.address})`],
        ),
    );
    return results.flat();
}

function pairCount(pods: readonly LabPod[], targets: readonly Target[]): number {
    return pods.reduce((n, p) => n + targets.filter((t) => t.address !== p.ula).length, 0);
}

/** Fails with every unreachable pair and each host's view of the mesh. */
export async function assertReachable(
    state: LabState,
    pods: readonly LabPod[],
    targets: readonly Target[],
    what: string,
    timeoutMs = 10_000,
): Promise<void> {
    const failed = await unreachable(pods, targets, timeoutMs);
    if (failed.length > 0) {
        assert.fail(
            `${what}: ${failed.length} of ${pairCount(pods, targets)} pairs cannot talk:\n  ${failed.join("\n  ")}\n${await meshDiagnostics(state)}`,
        );
    }
}
