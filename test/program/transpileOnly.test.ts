// Every `pulumi preview` and `up` transpiles the program without type-checking it, by the
// project's own settings (not a variable each user must export): Pulumi.yaml names
// tsconfig.pulumi.json, whose own compilerOptions say noCheck (the SDK reads that key from the
// file itself, not through `extends`). `npm run typecheck` (tsconfig.json) still checks everything.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..", "..");
// The SDK's own reader of the compiler options its `pulumi` run uses (cmd/run/run.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as {
    loadTypeScriptCompilerOptions: (p: string) => Record<string, unknown>;
};

describe("the engine's runs transpile only, by the project's settings", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } };
    const tsconfig = path.join(ROOT, String(project.runtime.options.tsconfig));

    it("Pulumi.yaml names a tsconfig whose own compilerOptions have noCheck, as the SDK reads it", () => {
        assert.equal(project.runtime.options.typescript, true);
        assert.ok(fs.existsSync(tsconfig), `${tsconfig} is missing`);
        assert.equal(loadTypeScriptCompilerOptions(tsconfig).noCheck, true);
    });

    it("that tsconfig compiles the program (index.ts and components/) with tsconfig.json's options", () => {
        const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
        const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig));
        assert.deepEqual(parsed.errors, []);
        const files = parsed.fileNames.map((f) => path.relative(ROOT, f));
        assert.ok(files.includes("index.ts") && files.some((f) => f.startsWith("components/")), files.join(", "));
        assert.equal(parsed.options.strict, true, "the base options come through extends");
    });

    it("`npm run typecheck` still type-checks: tsconfig.json has no noCheck", () => {
        assert.notEqual(loadTypeScriptCompilerOptions(path.join(ROOT, "tsconfig.json")).noCheck, true);
        const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
            .scripts;
        assert.equal(scripts.typecheck, "tsc --noEmit");
    });
});
