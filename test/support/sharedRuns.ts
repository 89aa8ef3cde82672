// One mocked program run per distinct stack: a run costs about a second, and most tests only read
// the graph it records. Tests that need the same stack (config, preview flag, secrets) share one
// run; the graph is frozen so no test can change what another reads.
import { ProgramRun, runProgram } from "./pulumiMocks";

type RunOptions = { preview?: boolean; secrets?: Record<string, string> };

/** A shared run, with when it started (a test timing what the run made must not use its own clock: the run may be older). */
export type SharedRun = ProgramRun & { readonly startedAt: number };

const runs = new Map<string, Promise<SharedRun>>();

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/**
 * runProgram, memoised by the config as it stands at the call (callers mutate fixtures before
 * calling). A failed run is not kept, so each caller sees its own failure.
 */
export function sharedRun(raw: Record<string, unknown>, opts: RunOptions = {}): Promise<SharedRun> {
    const key = JSON.stringify([raw, opts.preview ?? false, opts.secrets ?? null]);
    let run = runs.get(key);
    if (!run) {
        // The outputs are live Outputs (resolved later by the tests): only the recorded resources are frozen.
        const startedAt = Date.now();
        run = runProgram(raw, opts).then((r) => ({ outputs: r.outputs, resources: deepFreeze(r.resources), startedAt }));
        run.catch(() => runs.delete(key));
        runs.set(key, run);
    }
    return run;
}
