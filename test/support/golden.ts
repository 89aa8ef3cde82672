// Golden files: the expected rendering lives in test/golden/ and doubles as documentation.
// UPDATE_GOLDEN=1 npm test rewrites them; review the diff before committing.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

export const GOLDEN_DIR = path.join(__dirname, "..", "golden");

export function expectGolden(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1") {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    assert.ok(fs.existsSync(file), `golden file ${name} is missing: run UPDATE_GOLDEN=1 npm test`);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs from the golden file (UPDATE_GOLDEN=1 npm test to accept)`);
}
