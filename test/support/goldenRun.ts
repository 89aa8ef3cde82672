// Mocha fixtures (loaded through .mocharc.json's `require`): fail the run if UPDATE_GOLDEN=1 was
// set, and fail a full run that left golden files no test reads.
// The suite runs in parallel workers, each knowing only the spec files it ran, so the verdict is
// taken in two steps that work the same in a serial run:
// - the root `afterAll` hook (once per spec file in a parallel worker, once per run in a serial
//   one) writes a record: the spec files it covered, whether they ran whole, the goldens read and
//   rewritten;
// - the global teardown (once, in mocha's own process) merges the records and gives the verdict.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GOLDEN_DIR, GoldenFiles, goldens } from "./golden";

const TEST_DIR = path.join(__dirname, "..");
/** Where this run's records go: made by the global setup, inherited by the workers. */
const RECORDS_ENV = "V6K8S_GOLDEN_RECORDS";

/** What one root suite (one spec file, or the whole serial run) read. */
export interface GoldenRecord {
    specFiles: string[];
    /** Why this part cannot tell orphans (see partialRun), or null. */
    partial: string | null;
    read: string[];
    rewritten: string[];
}

function testsOf(suite: Mocha.Suite): Mocha.Test[] {
    return [...suite.tests, ...suite.suites.flatMap(testsOf)];
}

function specFilesOnDisk(): string[] {
    return fs
        .readdirSync(TEST_DIR, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
        .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Why orphans cannot be told from this root suite, or undefined when they can: every test run (a
 * --grep or an .only reads only some goldens) and none failed (a failing test may stop before it
 * reads its golden).
 */
export function partialRun(root: Mocha.Suite): string | undefined {
    const tests = testsOf(root);
    if (tests.some((t) => t.state === undefined && !t.isPending())) return "some tests did not run";
    if (tests.some((t) => t.state === "failed")) return "a test failed";
    return undefined;
}

/**
 * The records of one run merged: the goldens read and rewritten, and why orphans cannot be told
 * (a record was partial, or a spec file on disk has no record: not loaded, or a single file run).
 */
export function mergeRecords(
    records: GoldenRecord[],
    specFiles: string[],
    dir = GOLDEN_DIR,
    updating = goldens.updating,
): { files: GoldenFiles; partial?: string } {
    const files = new GoldenFiles(dir, updating);
    for (const r of records) {
        r.read.forEach((f) => files.read.add(f));
        files.rewritten.push(...r.rewritten);
    }
    const covered = new Set(records.flatMap((r) => r.specFiles));
    const missing = specFiles.filter((f) => !covered.has(f));
    const partial =
        records.find((r) => r.partial !== null)?.partial ?? (missing.length > 0 ? `${missing.length} spec files not run` : undefined);
    return { files, partial };
}

/** The end-of-run verdict on golden files; an empty list means nothing to report. */
export function goldenProblems(files: GoldenFiles, checkOrphans: boolean): string[] {
    const problems: string[] = [];
    if (files.updating) {
        const list = files.rewritten.map((f) => `\n  rewrote ${path.join(path.relative(process.cwd(), files.dir), f)}`).join("");
        problems.push(
            `UPDATE_GOLDEN=1 always fails the run: ${files.rewritten.length} golden files rewritten${list}\n` +
                "  review `git diff test/golden`, then run npm test without UPDATE_GOLDEN",
        );
    }
    if (checkOrphans) {
        const orphans = files.orphans();
        if (orphans.length > 0) {
            problems.push(`golden files no test reads (delete them, or read them from a test):${orphans.map((f) => `\n  ${f}`).join("")}`);
        }
    }
    return problems;
}

export const mochaHooks = {
    // Named: mocha titles the hook by it when it fails.
    afterAll: function recordGoldenReads(this: Mocha.Context) {
        const dir = process.env[RECORDS_ENV];
        if (!dir) return; // loaded without the global setup (another config): nothing to record
        const root = this.test!.parent!;
        const record: GoldenRecord = {
            specFiles: [...new Set([...root.suites, ...root.tests].map((r) => r.file).filter((f): f is string => !!f))],
            partial: partialRun(root) ?? null,
            read: [...goldens.read],
            rewritten: [...goldens.rewritten],
        };
        // Reads accumulate in a worker's module across its files; records are merged as sets.
        goldens.rewritten.length = 0;
        fs.writeFileSync(
            path.join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`),
            JSON.stringify(record),
        );
    },
};

export function mochaGlobalSetup(): void {
    process.env[RECORDS_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-golden-run-"));
}

export function mochaGlobalTeardown(): void {
    const dir = process.env[RECORDS_ENV];
    if (!dir) return;
    const records = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as GoldenRecord);
    fs.rmSync(dir, { recursive: true, force: true });
    const { files, partial } = mergeRecords(records, specFilesOnDisk());
    if (partial) console.warn(`\n  (golden files: no orphan check, ${partial})\n`);
    const problems = goldenProblems(files, partial === undefined);
    if (problems.length === 0) return;
    console.error(`\n  golden files:\n  ${problems.join("\n").replace(/\n/g, "\n  ")}\n`);
    // A throw here is lost in a serial run, and mocha sets the exit code from its failure count
    // at exit: leave with 1 whatever it set.
    process.on("exit", () => process.exit(1));
}
