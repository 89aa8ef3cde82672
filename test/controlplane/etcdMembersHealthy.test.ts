// wait-control-plane.sh's etcd part (the program renders it with etcdMembers): run by a real bash
// in a scratch mount namespace, the apiserver's /readyz played by a local HTTPS server and etcdctl
// (in the etcd container, through ctr) by a fake that answers from files the test changes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { renderWaitControlPlane } from "../../components/controlplane/render/activate";
import { waitControlPlaneCommand } from "../../components/controlplane/steps";
import { fakeHost, inScratchRoot, selfSignedLocalhost } from "../runtime/scratch";

const STARTED = [
    "8e9e05c52164694d, started, cp1, https://[fd8a:31c2:7c1f:1:1::1]:2380, https://[fd8a:31c2:7c1f:1:1::1]:2379, false",
    "91bc3c398fb3c146, started, cp2, https://[fd8a:31c2:7c1f:1:2::1]:2380, https://[fd8a:31c2:7c1f:1:2::1]:2379, false",
];
const CP3_UNSTARTED = "fd422379fda50e48, unstarted, , https://[fd8a:31c2:7c1f:1:3::1]:2380, , false";
const CP3_STARTED = "fd422379fda50e48, started, cp3, https://[fd8a:31c2:7c1f:1:3::1]:2380, https://[fd8a:31c2:7c1f:1:3::1]:2379, false";
const HEALTHY = (n: number) => `https://[fd8a:31c2:7c1f:1:${n}::1]:2379 is healthy: successfully committed proposal: took = 2.1ms`;

/** Runs the rendered wait with the fake etcd in `files` (and `later`: shell run in the background first). */
async function waitWith(files: Record<string, string>, later = "", timeoutSeconds = 8) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-etcd-wait-"));
    selfSignedLocalhost(dir);
    const server = https.createServer({ key: fs.readFileSync(`${dir}/k`), cert: fs.readFileSync(`${dir}/c`) }, (_, res) =>
        res.writeHead(200).end("ok"),
    );
    const port = await new Promise<number>((r) => server.listen(0, "::1", () => r((server.address() as AddressInfo).port)));
    const etcd = path.join(dir, "etcd");
    fs.mkdirSync(etcd);
    for (const [f, content] of Object.entries({ container: "c1\n", ...files })) fs.writeFileSync(path.join(etcd, f), content);
    const setup = fakeHost(dir);
    fs.copyFileSync(path.join(__dirname, "fixtures", "fake-etcd-ctr.sh"), path.join(dir, "bin", "ctr"));
    fs.chmodSync(path.join(dir, "bin", "ctr"), 0o755);
    const script = path.join(dir, "wait.sh");
    fs.writeFileSync(
        script,
        renderWaitControlPlane({ proxyPort: port, etcdMembers: true, etcdTimeoutSeconds: timeoutSeconds, progressSeconds: 1 }),
    );
    try {
        return await inScratchRoot(`export FAKE_ETCD=${etcd}; ${later ? `{ (${later}) & } ; ` : ""}bash ${script}`, setup);
    } finally {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const lines = (...l: string[]) => l.map((x) => `${x}\n`).join("");

describe("wait-control-plane.sh: every etcd member started and healthy (real bash, fake etcdctl)", function () {
    before(function () {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn("\n  !!! SKIPPED wait-control-plane.sh etcd members: needs root (a scratch mount namespace) !!!\n");
            this.skip();
        }
    });

    it("the program's wait asks etcd; without etcdMembers it does not", () => {
        assert.match(waitControlPlaneCommand(7445), /^wait_until 300 "every etcd member started and healthy"/m);
        assert.doesNotMatch(renderWaitControlPlane({ proxyPort: 7445 }), /etcd member/);
    });

    it("every member started and healthy: done", async () => {
        const r = await waitWith({ "member-list": lines(...STARTED, CP3_STARTED), health: lines(HEALTHY(1), HEALTHY(2), HEALTHY(3)) });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^every etcd member started and healthy: ready after [01]s$/m, "at the first ask (a second may tick over)");
    });

    it("a member that has not started yet: waits until it has", async () => {
        const r = await waitWith(
            { "member-list": lines(...STARTED, CP3_UNSTARTED), health: lines(HEALTHY(1), HEALTHY(2)) },
            `sleep 2; printf '%s\\n' '${STARTED[0]}' '${STARTED[1]}' '${CP3_STARTED}' > "$FAKE_ETCD/member-list"`,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^every etcd member started and healthy: ready after [2-6]s$/m);
    });

    it("a member that stays unhealthy: fails with the member list and the health lines", async () => {
        const unhealthy = "https://[fd8a:31c2:7c1f:1:3::1]:2379 is unhealthy: failed to commit proposal: context deadline exceeded";
        const r = await waitWith(
            { "member-list": lines(...STARTED, CP3_STARTED), health: lines(HEALTHY(1), HEALTHY(2), unhealthy), "health-rc": "1\n" },
            "",
            2,
        );
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^every etcd member started and healthy: not ready within 2s$/m);
        assert.ok(r.stderr.includes(`--- etcd member list\n${STARTED.join("\n")}\n${CP3_STARTED}\n`), r.stderr);
        assert.ok(r.stderr.includes(unhealthy), r.stderr);
    });
});
