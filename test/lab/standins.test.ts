// The lab's stand-in plugins (lab/plugins) are the lab's alone: nothing a user installs or runs
// can pick them up instead of the real pulumi-resource-command and pulumi-resource-tls. They are
// built into a directory of their own (lab/plugins/build.sh), which only the lab's own pulumi runs
// put on PATH (lab/engine/engine.ts); the toolchain's bin directory, the one users put on PATH,
// never holds them. And each mimics the npm package version the project pins.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), "utf8");
const REFERENCES = /lab\/plugins|lab-plugins|pulumi-resource-(command|tls)\b/;

describe("lab stand-in plugins: the lab's only", () => {
    it("have a directory of their own, apart from the toolchain's bin that users put on PATH", () => {
        const env = { ...process.env, V6K8S_TOOLCHAIN_CACHE: "/nonexistent/cache" };
        const userBin = execFileSync("bash", [path.join(ROOT, "tools", "pulumi-toolchain.sh"), "--print-path"], {
            env,
            encoding: "utf8",
        }).trim();
        const standIns = execFileSync("bash", [path.join(ROOT, "lab", "plugins", "build.sh"), "--print-dir"], {
            env,
            encoding: "utf8",
        }).trim();
        assert.ok(
            userBin.startsWith("/nonexistent/cache/") && standIns.startsWith("/nonexistent/cache/lab-plugins/"),
            `${userBin} ${standIns}`,
        );
        assert.ok(
            !standIns.startsWith(`${userBin}/`) && standIns !== userBin && !userBin.startsWith(standIns),
            `${userBin} vs ${standIns}`,
        );
    });

    it("are built by no user-facing script: tools/pulumi-toolchain.sh, the workflows and the package scripts but the lab's never name them", () => {
        assert.doesNotMatch(read("tools/pulumi-toolchain.sh"), /lab\/plugins|lab-plugins/);
        for (const f of fs.readdirSync(path.join(ROOT, ".github", "workflows"))) {
            assert.doesNotMatch(read(path.join(".github", "workflows", f)), /lab\/plugins|lab-plugins/, f);
        }
        const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
        const users = Object.entries(scripts).filter(
            ([name, cmd]) => REFERENCES.test(cmd) && !/^(lab|test:lab|bench:lab|test:plugins)/.test(name),
        );
        assert.deepEqual(users, []);
    });

    it("are never put on PATH by the README's commands (only the lab's own runs do, in lab/engine/engine.ts)", () => {
        const pathLines = read("README.md")
            .split("\n")
            .filter((l) => /PATH=/.test(l) && REFERENCES.test(l));
        assert.deepEqual(pathLines, []);
        assert.match(read("lab/engine/engine.ts"), /PATH: \[\.\.\.opts\.pluginDirs, bin/, "the lab's runs put the stand-ins first on PATH");
    });

    it("claim the versions package.json pins for @pulumi/command and @pulumi/tls (a bump makes someone re-read the providers' docs)", () => {
        const deps = (JSON.parse(read("package.json")) as { dependencies: Record<string, string> }).dependencies;
        const version = (file: string) => /const Version = "([^"]+)"/.exec(read(file))?.[1];
        assert.equal(version("lab/plugins/command/command.go"), deps["@pulumi/command"]);
        assert.equal(version("lab/plugins/tls/tls.go"), deps["@pulumi/tls"]);
    });
});
