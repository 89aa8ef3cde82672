// The check when the encryption keys change, run by a real sh in a private mount namespace whose
// /usr/local is a tmpfs holding a fake `ctr` (the etcd container's etcdctl prints the Secrets' raw
// values from a file): Secrets under a key this run no longer has stop the run naming it, Secrets
// under this run's keys (or plaintext ones) let it go on, an etcdctl failure never passes.
// Root (mount namespace).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderEncryptionRewrittenCheck } from "../../components/controlplane/render/encryptionRewritten";
import { inScratchRoot } from "../runtime/scratch";

const OLD = "v6k8s-0123456789ab";
const NEW = "v6k8s-ba9876543210";

// tasks ls: one running etcd; containers ls: its id; tasks exec: the values, or a failure.
const FAKE_CTR = `#!/bin/sh
shift 2
case "$1 $2" in
"tasks ls") [ -n "\${FAKE_NO_ETCD:-}" ] || printf 'TASK PID STATUS\\nc0ffee 42 RUNNING\\n' ;;
"containers ls") echo c0ffee ;;
"tasks exec") cat "$FAKE_VALUES"; exit "\${FAKE_EXIT:-0}" ;;
esac
`;

describe("encryption keys: no Secret left under a key a run drops (render/encryptionRewritten.ts)", function () {
    this.timeout(60_000);
    let dir = "";
    before(function () {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn("\n  !!! SKIPPED encryption key check tests: need root !!!\n");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-rewritten-"));
        fs.writeFileSync(path.join(dir, "ctr"), FAKE_CTR, { mode: 0o755 });
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    const run = (keys: string[], values: string, exit = 0, opts: { restore?: string; noEtcd?: boolean } = {}) => {
        fs.writeFileSync(path.join(dir, "values"), values);
        fs.writeFileSync(path.join(dir, "check.sh"), renderEncryptionRewrittenCheck(keys, opts.restore));
        const env = `FAKE_VALUES=${dir}/values FAKE_EXIT=${exit}${opts.noEtcd ? " FAKE_NO_ETCD=1" : ""}`;
        return inScratchRoot(`${env} sh ${dir}/check.sh`, `cp ${dir}/ctr /usr/local/bin/ctr && `);
    };
    const secret = (key: string) => `k8s:enc:secretbox:v1:${key}:\x01\x02binary\n`;

    it("Secrets under a key this run drops stop the run, counted and named, values never printed", async () => {
        const r = await run([NEW], secret(NEW) + secret(OLD) + secret(OLD));
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.ok(
            r.stderr.includes(
                `encryptionKey: 2 Secret(s) are stored under the key ${OLD}, which this run's encryptionKey drops; nothing was changed`,
            ),
            r.stderr,
        );
        assert.doesNotMatch(r.stdout + r.stderr, /binary/);
    });

    it("every Secret under this run's keys, or from before encryption: the run goes on", async () => {
        const r = await run([NEW, OLD], `${secret(NEW)}${secret(OLD)}k8s plaintext from before encryption\n`);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /every Secret is stored under one of/);
    });

    it("etcdctl failing is a failure, not 'none found'", async () => {
        const r = await run([NEW], "", 1);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /etcdctl could not list the Secrets/);
    });

    it("no etcd running fails the run, unless an etcd restore runs in it (its data may be gone); with etcd running a restore run checks as any", async () => {
        const down = await run([NEW], "", 0, { noEtcd: true });
        assert.equal(down.status, 1);
        assert.match(down.stderr, /no running etcd container on this node/);
        const restoring = await run([NEW], "", 0, { noEtcd: true, restore: "2026-12-07-a" });
        assert.equal(restoring.status, 0, restoring.stderr);
        assert.match(restoring.stdout, /no etcd runs on this node and etcd restore 2026-12-07-a runs in this run: nothing to ask/);
        const up = await run([NEW], secret(OLD), 0, { restore: "2026-12-07-a" });
        assert.equal(up.status, 1);
        assert.match(up.stderr, /stored under the key v6k8s-0123456789ab/);
    });

    it("a stack's first run asks nothing (no etcd yet); a name that is not a key name is refused at render time", () => {
        assert.doesNotMatch(renderEncryptionRewrittenCheck(null), /ctr/);
        assert.throws(() => renderEncryptionRewrittenCheck(["v6k8s-x; rm -rf /"]), /unexpected key name/);
    });
});
