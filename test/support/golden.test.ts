// The golden-file rules themselves, on a scratch directory: recording never passes, and files no
// test reads are named. (On test/golden/ itself the check runs at the end of every full run.)
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GoldenFiles } from "./golden";
import { GoldenRecord, goldenProblems, mergeRecords } from "./goldenRun";

function scratch(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-golden-"));
    for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
}

describe("golden files", () => {
    it("UPDATE_GOLDEN=1 writes every golden that differs or is missing, and the run then fails naming them", () => {
        const dir = scratch({ "a.txt": "old\n", "same.txt": "same\n" });
        const g = new GoldenFiles(dir, true);
        g.expect("a.txt", "new\n");
        g.expect("b/c.txt", "made\n");
        g.expect("same.txt", "same\n");
        assert.equal(fs.readFileSync(path.join(dir, "a.txt"), "utf8"), "new\n");
        assert.equal(fs.readFileSync(path.join(dir, "b/c.txt"), "utf8"), "made\n");
        assert.deepEqual(g.rewritten, ["a.txt", "b/c.txt"]);
        const [problem, ...rest] = goldenProblems(g, true);
        assert.deepEqual(rest, []);
        assert.match(
            problem,
            /^UPDATE_GOLDEN=1 always fails the run: 2 golden files rewritten\n {2}rewrote .*a\.txt\n {2}rewrote .*b\/c\.txt\n/,
        );
        assert.equal(goldenProblems(new GoldenFiles(dir, true), false).length, 1, "even a recording that changed nothing fails");
    });

    it("without UPDATE_GOLDEN a missing or differing golden fails its test and nothing is written", () => {
        const dir = scratch({ "a.txt": "old\n" });
        const g = new GoldenFiles(dir, false);
        assert.throws(() => g.expect("a.txt", "new\n"), /a\.txt differs from the golden file/);
        assert.throws(() => g.expect("b.txt", "x"), /golden file b\.txt is missing/);
        assert.equal(fs.readFileSync(path.join(dir, "a.txt"), "utf8"), "old\n");
        assert.ok(!fs.existsSync(path.join(dir, "b.txt")));
        g.expect("a.txt", "old\n");
        assert.deepEqual(goldenProblems(g, true), []);
    });

    it("names the golden files that no test read (orphans), only when the run was complete", () => {
        const dir = scratch({ "read.txt": "r", "also/read.txt": "r", "orphan.txt": "o", "deep/er/orphan.yaml": "o" });
        const g = new GoldenFiles(dir, false);
        g.expect("read.txt", "r");
        assert.equal(g.readFile("also//read.txt"), "r");
        assert.deepEqual(g.orphans(), ["deep/er/orphan.yaml", "orphan.txt"]);
        assert.deepEqual(goldenProblems(g, true), [
            "golden files no test reads (delete them, or read them from a test):\n  deep/er/orphan.yaml\n  orphan.txt",
        ]);
        assert.deepEqual(goldenProblems(g, false), [], "a partial run reads only some goldens: no verdict");
    });

    it("merges the records of parallel workers: reads and rewrites of every spec file, no verdict if one is partial or missing", () => {
        const dir = scratch({ "a.txt": "a", "b.txt": "b", "orphan.txt": "o" });
        const rec = (specFiles: string[], read: string[], partial: string | null = null, rewritten: string[] = []): GoldenRecord => ({
            specFiles,
            partial,
            read,
            rewritten,
        });
        const whole = mergeRecords(
            [rec(["/t/1.test.ts"], ["a.txt"]), rec(["/t/2.test.ts"], ["a.txt", "b.txt"], null, ["b.txt"])],
            ["/t/1.test.ts", "/t/2.test.ts"],
            dir,
            true,
        );
        assert.equal(whole.partial, undefined);
        assert.deepEqual(whole.files.orphans(), ["orphan.txt"]);
        assert.deepEqual(whole.files.rewritten, ["b.txt"]);
        assert.equal(goldenProblems(whole.files, true).length, 2, "recording fails, and the orphan is named");
        const missing = mergeRecords([rec(["/t/1.test.ts"], ["a.txt"])], ["/t/1.test.ts", "/t/2.test.ts"], dir, false);
        assert.equal(missing.partial, "1 spec files not run");
        const failed = mergeRecords(
            [rec(["/t/1.test.ts"], ["a.txt"]), rec(["/t/2.test.ts"], [], "a test failed")],
            ["/t/1.test.ts", "/t/2.test.ts"],
            dir,
            false,
        );
        assert.equal(failed.partial, "a test failed");
    });
});
