// The files step reloads a changed apiserver-proxy configuration (SIGUSR2 to HAProxy's master in
// the running proxy container) instead of restarting the static pod: the two fragments run by a
// real sh around a stand-in install, with a stub `ctr` that logs what it is asked.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sha256 } from "../../components/common/hash";
import { PATHS } from "../../components/controlplane/paths";
import { renderProxyReloadAfter, renderProxyReloadBefore } from "../../components/controlplane/render/apiserverProxyReload";
import { filesCommand } from "../../components/controlplane/steps";

const CTR = `#!/bin/sh
echo "ctr $*" >> "$STUB/calls"
case "$*" in
"--namespace k8s.io tasks ls") printf 'TASK PID STATUS\\nproxy-old 0 STOPPED\\nproxy-live 42 RUNNING\\n' ;;
"--namespace k8s.io containers ls --quiet"*) echo proxy-old; echo proxy-live ;;
esac
`;

/** Runs before + "write the new config" + after with the config at a temp path; returns ctr's calls and stdout. */
function run(oldConfig: string | null, newConfig: string): { calls: string[]; stdout: string; status: number | null } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-proxy-reload-"));
    try {
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "ctr"), CTR, { mode: 0o755 });
        const cfg = path.join(dir, "haproxy.cfg");
        if (oldConfig !== null) fs.writeFileSync(cfg, oldConfig);
        fs.writeFileSync(path.join(dir, "new.cfg"), newConfig);
        const reroot = (s: string) => s.split(PATHS.apiserverProxyConfig).join(cfg);
        const script = `set -eu\n${reroot(renderProxyReloadBefore(sha256(newConfig)))}cp ${dir}/new.cfg ${cfg}\n${reroot(renderProxyReloadAfter())}`;
        const r = spawnSync("sh", ["-c", script], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STUB: dir },
        });
        const calls = fs.existsSync(path.join(dir, "calls"))
            ? fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter(Boolean)
            : [];
        return { calls, stdout: r.stdout + r.stderr, status: r.status };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the apiserver proxy's configuration is reloaded, not restarted", () => {
    it("a changed configuration: SIGUSR2 to the running proxy container only", () => {
        const r = run("server cp1\n", "server cp1\nserver cp2\n");
        assert.equal(r.status, 0, r.stdout);
        assert.deepEqual(
            r.calls.filter((c) => c.includes("tasks kill")),
            ["ctr --namespace k8s.io tasks kill --signal SIGUSR2 proxy-live"],
        );
        assert.match(r.stdout, /apiserver proxy: new configuration, reloaded/);
    });

    it("the same configuration, or none before (the proxy reads it at its first start): nothing is signalled", () => {
        for (const old of ["server cp1\n", null]) {
            const r = run(old, "server cp1\n");
            assert.equal(r.status, 0, r.stdout);
            assert.deepEqual(r.calls, [], `old config ${JSON.stringify(old)}`);
        }
    });

    it("every files step that writes the proxy's configuration carries both fragments around the installer", () => {
        const files = new Map([[PATHS.apiserverProxyConfig, { content: "server cp1\n", mode: "0644" }]]);
        const text = filesCommand(files);
        assert.ok(text.startsWith(renderProxyReloadBefore(sha256("server cp1\n"))), text.slice(0, 200));
        assert.ok(text.endsWith(renderProxyReloadAfter()));
    });
});
