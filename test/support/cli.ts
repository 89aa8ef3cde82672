// Runs one of the project's bin/ scripts: runMain calls its main() in-process (milliseconds),
// runBin starts it as a real process, as `npm run` would (about two seconds of ts-node start-up).
// A few tests keep runBin so the process wiring itself (exit code, real streams) stays covered.
import { spawnSync } from "child_process";
import * as path from "path";
import type { CliIo } from "../../bin/io";

export const ROOT = path.join(__dirname, "..", "..");

export interface CliResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

type Main = (argv: string[], io: CliIo) => number;

export function runBin(script: string, args: string[]): CliResult {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "bin", script), ...args], {
        cwd: ROOT,
        encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same call in-process, from the project root like runBin; an uncaught throw is exit 1, as in node. */
export function runMain(script: string, args: string[]): CliResult {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { main } = require(path.join(ROOT, "bin", script)) as { main: Main };
    let stdout = "";
    let stderr = "";
    const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t) };
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
        return { status: main(args, io), stdout, stderr };
    } catch (e) {
        return { status: 1, stdout, stderr: stderr + ((e as Error).stack ?? String(e)) };
    } finally {
        process.chdir(cwd);
    }
}
