// Waiting until the lab carries packets: no address still in duplicate address detection, and
// every host reaching every other host's mesh address (the first packet starts the handshake).
import { inNs } from "./netns";
import { reaches } from "./probes";
import { eventually, run } from "./run";
import type { LabHost, LabState } from "./state";

export async function waitSettled(state: LabState, timeoutMs = 15_000): Promise<void> {
    const namespaces = [...state.hosts.map((h) => h.ns), ...state.pods.map((p) => p.ns)];
    await Promise.all(
        namespaces.map(async (ns) => {
            const ok = await eventually(
                async () => (await run(inNs(ns, ["ip", "-6", "addr", "show", "tentative"]))).stdout.trim() === "",
                timeoutMs,
                100,
            );
            if (!ok) throw new Error(`lab: addresses in ${ns} still tentative after ${timeoutMs / 1000} s`);
        }),
    );
}

export async function waitMesh(state: LabState, hosts: readonly LabHost[] = state.hosts, timeoutMs = 20_000): Promise<void> {
    const pairs = hosts.flatMap((a) => state.hosts.filter((b) => b !== a).map((b) => [a, b] as const));
    const failed = (
        await Promise.all(
            pairs.map(async ([a, b]) => ((await reaches({ ns: a.ns }, b.wireguardAddress, timeoutMs)) ? [] : [`${a.name} -> ${b.name}`])),
        )
    ).flat();
    if (failed.length > 0) throw new Error(`lab: mesh not up after ${timeoutMs / 1000} s: ${failed.join(", ")}`);
}
