// Long builds show progress: the builder's own status lines as they come, with the time elapsed,
// and a line a minute while it is quiet (one `go build` of kube-apiserver is minutes long).
import { RunResult, run } from "./run";

export const elapsed = (ms: number): string => `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;

export interface ProgressOptions {
    /** The builder's status lines: those on stderr starting with this prefix are shown. */
    readonly prefix: string;
    /** What the quiet-minute line says is being built, from the last status line (default: the last line). */
    readonly current?: (line: string) => string | undefined;
    readonly log: (line: string) => void;
    readonly timeoutMs: number;
}

/** Runs a build, showing its progress; resolves with its result (allowFail). */
export async function runWithProgress(argv: readonly string[], opts: ProgressOptions): Promise<RunResult> {
    const t0 = Date.now();
    let current = "";
    let last = Date.now();
    const heartbeat = setInterval(() => {
        if (Date.now() - last >= 55_000)
            opts.log(`lab: still building${current ? ` ${current}` : ""} (${elapsed(Date.now() - t0)} elapsed)`);
    }, 60_000);
    try {
        return await run(argv, {
            timeoutMs: opts.timeoutMs,
            allowFail: true,
            onLine: (line, stream) => {
                if (stream !== "stderr" || !line.startsWith(opts.prefix)) return;
                last = Date.now();
                current = opts.current?.(line) ?? current;
                opts.log(`lab: ${line} (${elapsed(Date.now() - t0)} elapsed)`);
            },
        });
    } finally {
        clearInterval(heartbeat);
    }
}
