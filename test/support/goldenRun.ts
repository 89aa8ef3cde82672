// Mocha root hooks (loaded through .mocharc.json's `require`): at the end of the run, fail it if
// UPDATE_GOLDEN=1 was set, and fail a full run that left golden files no test reads.
import * as fs from "fs";
import * as path from "path";
import { GoldenFiles, goldens } from "./golden";

const TEST_DIR = path.join(__dirname, "..");

function testsOf(suite: Mocha.Suite): Mocha.Test[] {
    return [...suite.tests, ...suite.suites.flatMap(testsOf)];
}

function specFilesOnDisk(): string[] {
    return fs.readdirSync(TEST_DIR, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
        .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Why orphans cannot be told in this run, or undefined when they can: every spec file loaded and
 * every test run (a --grep, an .only or a single file reads only some goldens) and none failed (a
 * failing test may stop before it reads its golden).
 */
export function partialRun(root: Mocha.Suite): string | undefined {
    const loaded = new Set([...root.suites, ...root.tests].map((r) => r.file));
    const missing = specFilesOnDisk().filter((f) => !loaded.has(f));
    if (missing.length > 0) return `${missing.length} spec files not loaded`;
    const tests = testsOf(root);
    if (tests.some((t) => t.state === undefined && !t.isPending())) return "some tests did not run";
    if (tests.some((t) => t.state === "failed")) return "a test failed";
    return undefined;
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
    afterAll: function checkGoldenFiles(this: Mocha.Context) {
        const root = this.test!.parent!;
        const partial = partialRun(root);
        if (partial) console.warn(`\n  (golden files: no orphan check, ${partial})\n`);
        const problems = goldenProblems(goldens, partial === undefined);
        if (problems.length > 0) throw new Error(problems.join("\n"));
    },
};
