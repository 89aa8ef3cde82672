// A run that owns the lab while it goes (the checks, both mocha runs; the benches): root or exit 1,
// the lab torn down on SIGINT/SIGTERM, what an earlier run left torn down first, the lab claimed.
import { claimLab, isUp, requireRoot, tearDownLeftovers } from "./preflight";
import { down, teardownOnSignals } from "./teardown";

/** At start: exits 1 unless root; tears the lab down on SIGINT/SIGTERM and, with `atExit`, on an exit that leaves it up. */
export function guardRun(atExit = false): void {
    requireRoot();
    teardownOnSignals();
    if (atExit) {
        process.once("exit", () => {
            if (isUp()) down();
        });
    }
}

/** Before the bring-up: what an earlier run left is torn down (refused while a live run uses it), then this run claims the lab. */
export function takeOverLab(log: (line: string) => void): void {
    tearDownLeftovers(down, log);
    claimLab();
}

/** Exits with the code the entry point resolves to; an unexpected error prints its stack and exits 1. */
export function exitWith(code: Promise<number>): void {
    code.then(
        (c) => process.exit(c),
        (e: Error) => {
            process.stderr.write(`${e.stack}\n`);
            process.exit(1);
        },
    );
}

/** A line of the lab's own among mocha's, indented under the checks. */
export function testLog(line: string): void {
    process.stderr.write(`      ${line}\n`);
}
