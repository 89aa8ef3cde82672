// What to attach to a failed connectivity check: each host's view of the mesh.
import { hostArgv } from "./machines";
import { run } from "./run";
import type { LabState } from "./state";

export async function meshDiagnostics(state: LabState): Promise<string> {
    const parts = await Promise.all(state.hosts.map(async (h) => {
        const r = await run(hostArgv(h, ["wg", "show", "wg0"]), { allowFail: true, timeoutMs: 5_000 });
        return `--- ${h.name}: wg show wg0 (exit ${r.code})\n${(r.stdout + r.stderr).trim()}`;
    }));
    return parts.join("\n");
}
