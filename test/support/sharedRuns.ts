// One mocked program run per distinct stack: a run costs about a second, and most tests only read
// the graph it records. Tests that need the same stack (config, preview flag, secrets) share one
// run; the graph is frozen so no test can change what another reads.
import { ProgramRun, runProgram } from "./pulumiMocks";

type RunOptions = { preview?: boolean; secrets?: Record<string, string> };

const runs = new Map<string, Promise<ProgramRun>>();

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
export function sharedRun(raw: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
    const key = JSON.stringify([raw, opts.preview ?? false, opts.secrets ?? null]);
    let run = runs.get(key);
    if (!run) {
        // The outputs are live Outputs (resolved later by the tests): only the recorded resources are frozen.
        run = runProgram(raw, opts).then((r) => ({ outputs: r.outputs, resources: deepFreeze(r.resources) }));
        run.catch(() => runs.delete(key));
        runs.set(key, run);
    }
    return run;
}
