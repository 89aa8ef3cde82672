// Golden files: the expected rendering lives in test/golden/ and doubles as documentation.
// UPDATE_GOLDEN=1 npm test rewrites the ones that differ and then fails the run on purpose
// (test/support/goldenRun.ts), so a run that only rewrote goldens can never pass by accident;
// review `git diff test/golden`, then run npm test without it. Every golden a test reads is
// recorded, so the end of a full run can name the files no test reads any more (orphans).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

export const GOLDEN_DIR = path.join(__dirname, "..", "golden");

export class GoldenFiles {
    /** Names (relative to dir) that a test compared against or read in this run. */
    readonly read = new Set<string>();
    /** Names rewritten in this run because they differed or were missing (update mode only). */
    readonly rewritten: string[] = [];

    constructor(
        readonly dir: string,
        readonly updating: boolean,
    ) {}

    expect(name: string, actual: string): void {
        this.read.add(path.normalize(name));
        const file = path.join(this.dir, name);
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        if (this.updating) {
            // No failure here: every golden of the run gets written; the run fails at its end.
            if (current !== actual) {
                fs.mkdirSync(path.dirname(file), { recursive: true });
                fs.writeFileSync(file, actual);
                this.rewritten.push(name);
            }
            return;
        }
        assert.ok(current !== undefined, `golden file ${name} is missing: run UPDATE_GOLDEN=1 npm test`);
        assert.equal(actual, current, `${name} differs from the golden file (UPDATE_GOLDEN=1 npm test to accept)`);
    }

    /** A golden's content, for a test that compares it itself. */
    readFile(name: string): string {
        this.read.add(path.normalize(name));
        return fs.readFileSync(path.join(this.dir, name), "utf8");
    }

    /** Files under dir that no test read in this run, sorted. Meaningful only after a full run. */
    orphans(): string[] {
        const all = fs
            .readdirSync(this.dir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => path.relative(this.dir, path.join(e.parentPath, e.name)));
        return all.filter((f) => !this.read.has(f)).sort();
    }
}

/** The project's goldens, as every test uses them. */
export const goldens = new GoldenFiles(GOLDEN_DIR, process.env.UPDATE_GOLDEN === "1");

export function expectGolden(name: string, actual: string): void {
    goldens.expect(name, actual);
}

export function readGolden(name: string): string {
    return goldens.readFile(name);
}
