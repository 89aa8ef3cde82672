import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { projectKeys, projectName, readStackFile } from "../../components/config/stackFile";
import { baseConfig } from "../support/fixtures";

function writeStack(config: Record<string, unknown>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-stack-"));
    const file = path.join(dir, "Pulumi.test.yaml");
    fs.writeFileSync(file, stringify({ config }));
    return file;
}

function problems(file: string): string[] {
    try {
        readStackFile(file, "v6k8s");
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
    return [];
}

describe("stack files", () => {
    it("takes the project name from Pulumi.yaml", () => {
        assert.equal(projectName(), "v6k8s");
    });

    it("keeps the project's keys, strips the namespace, drops other namespaces", () => {
        assert.deepEqual(projectKeys({ "v6k8s:cluster": 1, "hcloud:token": 2, nodes: 3, "other:nodes": 4 }, "v6k8s"), {
            cluster: 1,
            nodes: 3,
        });
    });

    it("reads the example production stack", () => {
        const cfg = readStackFile(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"));
        assert.equal(cfg.nodes.filter((n) => n.roles.includes("control-plane")).length, 3);
        assert.ok(cfg.nodes.some((n) => n.kind === "hcloud") && cfg.nodes.some((n) => n.kind === "dedicated"));
        assert.equal(cfg.nodes.filter((n) => n.kind === "dedicated" && n.ipv4).length, 1);
    });

    it("accepts encrypted secrets and refuses plain-text ones", () => {
        const { cluster, nodes } = baseConfig();
        const ok = writeStack({ "v6k8s:cluster": cluster, "v6k8s:nodes": nodes, "v6k8s:sshPrivateKey": { secure: "v1:abc" } });
        assert.deepEqual(problems(ok), []);
        const bad = writeStack({ "v6k8s:cluster": cluster, "v6k8s:nodes": nodes, "v6k8s:hcloudToken": "plain" });
        assert.deepEqual(problems(bad), ["hcloudToken: is in plain text: set it with `pulumi config set --secret hcloudToken`"]);
    });

    it("reports plain-text secrets together with other problems", () => {
        const { nodes } = baseConfig();
        const file = writeStack({ "v6k8s:nodes": nodes, "v6k8s:sshPrivateKey": "-----" });
        assert.deepEqual(problems(file), [
            "sshPrivateKey: is in plain text: set it with `pulumi config set --secret sshPrivateKey`",
            "cluster: is required",
        ]);
    });

    it("names the file when it is not YAML or has no config map", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-stack-"));
        const broken = path.join(dir, "Pulumi.x.yaml");
        fs.writeFileSync(broken, "config: [\n");
        assert.match(problems(broken)[0], /Pulumi\.x\.yaml: /);
        fs.writeFileSync(broken, "encryptionsalt: x\n");
        assert.match(problems(broken)[0], /has no "config:" map/);
    });
});
