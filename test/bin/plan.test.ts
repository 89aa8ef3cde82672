import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBin, runMain } from "../support/cli";
import { expectGolden } from "../support/golden";

describe("npm run plan", () => {
    it("prints the production plan as JSON in the documented shape (golden)", () => {
        // A real process: the exit code and stdout as `npm run plan` gives them.
        const r = runBin("plan.ts", ["--config", "Pulumi.prod.yaml", "--json"]);
        assert.equal(r.status, 0, r.stderr);
        const plan = JSON.parse(r.stdout);
        assert.deepEqual(Object.keys(plan), ["cluster", "nodes"]);
        assert.deepEqual(Object.keys(plan.cluster), ["ula", "services", "dns"]);
        for (const n of plan.nodes) {
            assert.deepEqual(Object.keys(n), ["name", "index", "roles", "ula", "wireguard", "podUla", "gua", "podGua", "nat64"]);
        }
        expectGolden("plan/prod.json", r.stdout);
    });

    it("prints a readable table by default", () => {
        const r = runMain("plan.ts", ["--config", "Pulumi.prod.yaml"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^services\s+fd8a:31c2:7c1f:1::\/112$/m);
        assert.match(r.stdout, /^cp1\s+1\s+control-plane\s+fd8a:31c2:7c1f:1:1::\/80\s/m);
        assert.match(r.stdout, /^w2\s.*\(assigned by hcloud\) {2}/m);
    });

    it("exits 2 with the config errors on stderr for a bad file", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-plan-"));
        const file = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(file, fs.readFileSync("Pulumi.prod.yaml", "utf8").replace("index: 2", "index: 1"));
        const r = runMain("plan.ts", ["--config", file, "--json"]);
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /nodes\[1\]\.index: 1 is already used by node "cp1"/);
        assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    });

    it("exits 2 on a missing file or missing --config", () => {
        assert.equal(runMain("plan.ts", ["--config", "/nonexistent/Pulumi.x.yaml"]).status, 2);
        const r = runMain("plan.ts", []);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /--config is required/);
    });
});
