// What to attach to a failed connectivity check: each host's view of the mesh.
import { WIREGUARD_INTERFACE } from "../components/hosts/render/hostNet";
import { wgShowArgv } from "./machines";
import { run } from "./run";
import type { LabState } from "./state";

export async function meshDiagnostics(state: LabState): Promise<string> {
    const parts = await Promise.all(
        state.hosts.map(async (h) => {
            const r = await run(wgShowArgv(h), { allowFail: true, timeoutMs: 5_000 });
            return `--- ${h.name}: wg show ${WIREGUARD_INTERFACE} (exit ${r.code})\n${(r.stdout + r.stderr).trim()}`;
        }),
    );
    return parts.join("\n");
}
