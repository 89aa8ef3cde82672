// Running commands: async for bring-up (hosts are prepared in parallel), sync for teardown (it must
// also work from a signal handler). A failure names the command, its exit code and its stderr.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface RunOptions {
    /** Written to stdin. */
    readonly input?: string;
    /** Added to the environment. */
    readonly env?: Readonly<Record<string, string>>;
    /** The working directory (default: this process's). */
    readonly cwd?: string;
    /** Killed after this long; default 60 s. */
    readonly timeoutMs?: number;
    /** Resolve with the result instead of throwing on a non-zero exit. */
    readonly allowFail?: boolean;
    /**
     * Run in a process group of its own and kill whatever of that group is left once the command
     * ended (or timed out): a probe leaves nothing behind in the namespace it ran in.
     */
    readonly killGroup?: boolean;
    /** Called with each chunk of stdout and stderr as it arrives, before it ends a line (progress dots). */
    readonly onData?: (chunk: string, stream: "stdout" | "stderr") => void;
    /** Called with each complete line of stdout and stderr as it arrives (the output is still collected). */
    readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
    /** Sends the command SIGINT (once) at the first line for which this is true: an operator's Ctrl-C. */
    readonly interruptWhen?: (line: string) => boolean;
}

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

class CommandError extends Error {
    constructor(
        readonly argv: readonly string[],
        readonly result: RunResult,
    ) {
        super(`command failed (exit ${result.code}): ${argv.join(" ")}\n${(result.stderr || result.stdout).trim()}`);
        this.name = "CommandError";
    }
}

/**
 * stdin for a child: /dev/null, or a file holding `input`. Never a pipe: Node's pipes are socket
 * pairs, and bash run with a socket on stdin thinks sshd started it and reads ~/.bashrc (Debian's
 * SSH_SOURCE_BASHRC), which on a developer machine can run anything (pyenv init, say).
 */
function stdinFor(input: string | undefined): number | "ignore" {
    if (input === undefined || input === "") return "ignore";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6l-stdin-"));
    const file = path.join(dir, "in");
    fs.writeFileSync(file, input, { mode: 0o600 });
    const fd = fs.openSync(file, "r");
    fs.rmSync(dir, { recursive: true, force: true });
    return fd;
}

function closeStdin(stdin: number | "ignore"): void {
    if (stdin !== "ignore") fs.closeSync(stdin);
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const stdin = stdinFor(opts.input);
        const child = spawn(argv[0], argv.slice(1), {
            env: { ...process.env, ...opts.env },
            stdio: [stdin, "pipe", "pipe"],
            detached: opts.killGroup === true,
            cwd: opts.cwd,
        });
        closeStdin(stdin);
        let stdout = "";
        let stderr = "";
        const lines = { stdout: "", stderr: "" };
        const collect = (stream: "stdout" | "stderr") => (d: Buffer) => {
            const text = d.toString();
            if (stream === "stdout") stdout += text;
            else stderr += text;
            opts.onData?.(text, stream);
            if (!opts.onLine && !opts.interruptWhen) return;
            const parts = (lines[stream] + text).split("\n");
            lines[stream] = parts.pop() ?? "";
            for (const l of parts) {
                opts.onLine?.(l, stream);
                if (!interrupted && opts.interruptWhen?.(l)) {
                    interrupted = true;
                    child.kill("SIGINT");
                }
            }
        };
        let interrupted = false;
        child.stdout?.on("data", collect("stdout"));
        child.stderr?.on("data", collect("stderr"));
        const killGroup = () => {
            if (opts.killGroup && child.pid !== undefined) {
                try {
                    process.kill(-child.pid, "SIGKILL");
                } catch {
                    // the group is empty already
                }
            }
        };
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            killGroup();
        }, opts.timeoutMs ?? 60_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            killGroup();
            for (const stream of ["stdout", "stderr"] as const) if (opts.onLine && lines[stream]) opts.onLine(lines[stream], stream);
            const result = { code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}killed by ${signal}` : stderr };
            if (result.code !== 0 && !opts.allowFail) reject(new CommandError(argv, result));
            else resolve(result);
        });
    });
}

/**
 * Runs with this process's stdin, stdout and stderr (an operator's command: `kubectl apply -f -`
 * reads what was piped in, output is not captured); resolves with the exit code.
 */
export function runInherited(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: "inherit" });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
}

export function runSync(argv: readonly string[], opts: RunOptions = {}): RunResult {
    const stdin = stdinFor(opts.input);
    const r = spawnSync(argv[0], argv.slice(1), {
        env: { ...process.env, ...opts.env },
        stdio: [stdin, "pipe", "pipe"],
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 60_000,
        cwd: opts.cwd,
    });
    closeStdin(stdin);
    const result = { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
    if (result.code !== 0 && !opts.allowFail) throw new CommandError(argv, result);
    return result;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the thread (teardown runs synchronously, also from signal handlers). */
export function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Retries `attempt` until it returns true or the deadline passes; returns the last outcome. */
export async function eventually(attempt: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await attempt()) return true;
        if (Date.now() >= deadline) return false;
        await sleep(intervalMs);
    }
}
