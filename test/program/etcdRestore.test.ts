// cluster.etcdRestore under Pulumi mocks: per control-plane node a check, data and start step,
// each phase after every node's previous one and after every node's start step, the cluster-wide
// wait after every restore start; triggers carry the restore only (not the host's identity); the
// same stack without etcdRestore has none of it; a bad etcdRestore names the key.
import { strict as assert } from "assert";
import { parse } from "yaml";
import * as fs from "fs";
import { projectKeys } from "../../components/config/stackFile";
import { PROD_FILE } from "../addons/support";
import { RecordedResource } from "../support/pulumiMocks";
import { resourceNamed as get } from "../support/recorded";
import { sharedRun } from "../support/sharedRuns";
import { validateStackConfig } from "../../components/config/load";

const RESTORE = { id: "2026-12-07-a", snapshot: "/root/restore.db", sha256: "ab".repeat(32) };

function prod(edit: (raw: { cluster: Record<string, unknown>; nodes: { name: string; roles: string[] }[] }) => void) {
    const raw = projectKeys(parse(fs.readFileSync(PROD_FILE, "utf8")).config, "v6k8s") as never;
    edit(raw);
    return raw as unknown as Record<string, unknown>;
}

describe("cluster.etcdRestore under Pulumi mocks", function () {
    this.timeout(180_000);
    let rs: RecordedResource[];
    let cps: string[];
    before(async () => {
        const raw = prod((r) => {
            r.cluster = { ...r.cluster, etcdRestore: RESTORE };
            cps = r.nodes.filter((n) => n.roles.includes("control-plane")).map((n) => n.name);
        });
        ({ resources: rs } = await sharedRun(raw));
    });

    const step = (node: string, s: string) => get(rs, `k8s-${node}-etcd-restore-${s}`);

    it("three steps per control-plane node, none on workers", () => {
        const names = rs.filter((r) => /-etcd-restore-/.test(r.name)).map((r) => r.name);
        assert.equal(names.length, 3 * cps.length, names.join("\n"));
        assert.ok(cps.length >= 2);
    });

    it("each phase waits for the previous phase on every node, the first for every control-plane node's start step", () => {
        for (const n of cps) {
            for (const m of cps) {
                assert.ok(step(n, "check").dependsOn.includes(`k8s-${m}-start`), `${n}'s check after ${m}'s start`);
                assert.ok(step(n, "data").dependsOn.includes(`k8s-${m}-etcd-restore-check`), `${n}'s data after ${m}'s check`);
                assert.ok(step(n, "start").dependsOn.includes(`k8s-${m}-etcd-restore-data`), `${n}'s start after ${m}'s data`);
            }
        }
        const ready = get(rs, "k8s-control-plane-ready");
        for (const n of cps) assert.ok(ready.dependsOn.includes(`k8s-${n}-etcd-restore-start`), `control-plane-ready after ${n}'s restore`);
        assert.ok((ready.inputs.triggers as string[]).includes("etcd restore 2026-12-07-a"), "control-plane-ready re-runs for a restore");
    });

    it("triggers: the restore itself only (a reinstalled host must not restore alone); a connection change is a no-op update", () => {
        for (const n of cps)
            for (const s of ["check", "data", "start"]) {
                assert.deepEqual(step(n, s).inputs.triggers, [RESTORE.id, RESTORE.snapshot, RESTORE.sha256]);
                assert.match(step(n, s).inputs.update as string, /^true # v6k8s: only the connection changed/);
            }
    });

    it("every node restores with the same membership, itself by name, and the snapshot's sha256 checked", () => {
        const clusters = new Set<string>();
        for (const n of cps) {
            const data = step(n, "data").inputs.create as string;
            const m = /--name (\S+) --initial-cluster (\S+)/.exec(data);
            assert.ok(m, data);
            assert.equal(m[1], n);
            clusters.add(m[2]);
            assert.match(step(n, "check").inputs.create as string, new RegExp(`etcdRestore\\.sha256 says ${RESTORE.sha256}`));
        }
        assert.equal(clusters.size, 1);
        assert.deepEqual(
            [...clusters][0].split(",").map((e) => e.split("=")[0]),
            [...cps].sort(),
        );
    });

    it("without etcdRestore: no restore step, and control-plane-ready does not wait for one", async () => {
        const { resources } = await sharedRun(prod(() => undefined));
        assert.deepEqual(
            resources.filter((r) => /-etcd-restore-/.test(r.name)).map((r) => r.name),
            [],
        );
        assert.ok(!(get(resources, "k8s-control-plane-ready").inputs.triggers as string[]).some((t) => t.startsWith("etcd restore")));
    });

    it("a bad etcdRestore is refused naming its key", () => {
        for (const [bad, key] of [
            [{ ...RESTORE, id: "Restore 1" }, "cluster.etcdRestore.id"],
            [{ ...RESTORE, snapshot: "restore.db" }, "cluster.etcdRestore.snapshot"],
            [{ ...RESTORE, sha256: "abc" }, "cluster.etcdRestore.sha256"],
            [{ ...RESTORE, sha: "x" }, "cluster.etcdRestore"],
        ] as const) {
            const raw = prod((r) => (r.cluster = { ...r.cluster, etcdRestore: bad }));
            assert.throws(
                () => validateStackConfig(raw),
                (e: Error) => e.message.includes(key),
                JSON.stringify(bad),
            );
        }
    });
});
