// start-kubelet.sh on a control-plane node, run by a real bash in a scratch mount namespace: fake
// systemctl/journalctl/crictl/systemd-run on PATH, tmpfs over /var/lib and /var/log, and the
// kubelet, etcd and the apiserver played by local HTTP(S) servers whose answers the test scripts.
import type { TLSSocket } from "tls";
import { PATHS } from "../../components/controlplane/paths";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import {
    ETCD_JOINED_MARKER,
    RETIRED_ETCD_DATA_PREFIX,
    StartOptions,
    renderStartKubelet,
} from "../../components/controlplane/render/activate";
import { ETCD_REJOIN_PATH } from "../../components/controlplane/render/etcdRejoin";
import { fakeHost, inScratchRoot, selfSignedLocalhost } from "./scratch";
import { Scenarios } from "../support/scenarios";

const TARGET = "1.34.2";

/** What the fake node answers; `restart` is what `systemctl restart kubelet.service` does to it. */
interface NodeState {
    etcdHealthy: boolean;
    apiserverVersion: string;
    apiserverReady: boolean;
}

interface FakeNode {
    state: NodeState;
    /** Requests in order, e.g. "etcd /health", "apiserver /version". */
    log: string[];
    opts: Omit<StartOptions, "controlPlane">;
    onRestart: (state: NodeState) => void;
    close: () => void;
}

const listen = (server: http.Server | https.Server) =>
    new Promise<number>((r) => server.listen(0, "::1", () => r((server.address() as AddressInfo).port)));

async function fakeNode(dir: string, initial: NodeState): Promise<FakeNode> {
    selfSignedLocalhost(dir);
    const node: FakeNode = { state: { ...initial }, log: [], opts: undefined as never, onRestart: () => undefined, close: () => undefined };
    const kubelet = http.createServer((req, res) => {
        // The fake systemctl reports the restart here.
        if (req.url === "/restart") node.onRestart(node.state);
        res.writeHead(200).end("ok");
    });
    const etcd = http.createServer((req, res) => {
        node.log.push(`etcd ${req.url}`);
        res.writeHead(node.state.etcdHealthy ? 200 : 503).end(`{"health":"${node.state.etcdHealthy}","reason":""}`);
    });
    // Like the real one: /version only for a client with a certificate (anonymous requests get the health endpoints only).
    const tls = { key: fs.readFileSync(`${dir}/k`), cert: fs.readFileSync(`${dir}/c`), requestCert: true, rejectUnauthorized: false };
    const apiserver = https.createServer(tls, (req, res) => {
        node.log.push(`apiserver ${req.url}`);
        const withCertificate = Object.keys((req.socket as TLSSocket).getPeerCertificate()).length > 0;
        if (req.url === "/version" && !withCertificate) res.writeHead(401).end();
        else if (req.url === "/version")
            res.writeHead(200).end(
                `{\n  "major": "1",\n  "gitVersion": "v${node.state.apiserverVersion}",\n  "platform": "linux/amd64"\n}`,
            );
        else if (req.url === "/readyz") res.writeHead(node.state.apiserverReady ? 200 : 503).end("ok");
        else res.writeHead(404).end();
    });
    const [kubeletPort, etcdPort, apiserverPort] = [await listen(kubelet), await listen(etcd), await listen(apiserver)];
    node.opts = {
        kubernetesVersion: TARGET,
        apiserverPort,
        kubeletHealthzPort: kubeletPort,
        etcdMetricsPort: etcdPort,
        timeoutSeconds: 8,
        kubeletTimeoutSeconds: 8,
        progressSeconds: 1,
    };
    // systemctl restart kubelet.service tells the fake node (the other calls are only recorded).
    const systemctl = path.join(dir, "bin", "systemctl");
    const body = fs
        .readFileSync(systemctl, "utf8")
        .replace(
            "#!/bin/bash\n",
            `#!/bin/bash\n[ "$*" = "restart kubelet.service" ] && curl -fs http://[::1]:${kubeletPort}/restart >/dev/null\n`,
        );
    fs.writeFileSync(systemctl, body);
    node.close = () => [kubelet, etcd, apiserver].forEach((s) => s.close());
    return node;
}

/** A scratch dir with fakes and a fake node, and a runner for the rendered control-plane script. */
async function setUp(initial: NodeState, fakes: { crictl?: boolean } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-start-"));
    const setup = fakeHost(dir, fakes);
    const node = await fakeNode(dir, initial);
    const run = async (before: string, after = "", overrides: Partial<StartOptions> = {}) => {
        const script = path.join(dir, "start-kubelet.sh");
        fs.writeFileSync(script, renderStartKubelet({ ...node.opts, controlPlane: true, ...overrides }));
        const started = Date.now();
        // The kubelet's client certificate, which the script shows the apiserver for /version.
        const clientCertificate =
            `mkdir -p ${path.posix.dirname(PATHS.kubeletClient.cert)} ${path.posix.dirname(PATHS.kubeletClient.key)} && ` +
            `cp ${dir}/c ${PATHS.kubeletClient.cert} && cp ${dir}/k ${PATHS.kubeletClient.key} && ` +
            // etcd-rejoin.sh (its own test: test/controlplane/etcdRejoin.test.ts) finds this host's data or bootstrap.
            `mkdir -p ${path.posix.dirname(ETCD_REJOIN_PATH)} && printf '#!/bin/bash\\necho rejoin-checked\\n' > ${ETCD_REJOIN_PATH} && `;
        const r = await inScratchRoot(`${clientCertificate}${before}bash ${script}; echo "exit=$?"; ${after}`, setup);
        return {
            ...r,
            seconds: (Date.now() - started) / 1000,
            calls: fs.existsSync(`${dir}/calls`) ? fs.readFileSync(`${dir}/calls`, "utf8") : "",
        };
    };
    return { node, run, dir, script: path.join(dir, "start-kubelet.sh") };
}

const MEMBER_EXISTS = "mkdir -p /var/lib/etcd/member && ";
const MARKED = `mkdir -p ${path.posix.dirname(ETCD_JOINED_MARKER)} && touch ${ETCD_JOINED_MARKER} && `;
const SHOW_MARKER = `if [ -e ${ETCD_JOINED_MARKER} ]; then echo marker=yes; else echo marker=no; fi`;

/** Sets up a fake node, runs `body` with it, and closes it. */
async function withNode<T>(
    initial: NodeState,
    fakes: { crictl?: boolean },
    body: (s: Awaited<ReturnType<typeof setUp>>) => Promise<T>,
): Promise<T> {
    const s = await setUp(initial, fakes);
    try {
        return await body(s);
    } finally {
        s.node.close();
    }
}

const skipUnlessRoot = (what: string, scenarios: Scenarios) =>
    function (this: Mocha.Context) {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn(`\n  !!! SKIPPED ${what}: need root !!!\n`);
            this.skip();
        }
        scenarios.startAll();
    };

// Each scenario has its own scratch dir, mount namespace and fake node: all of this file's run at
// once, started by whichever describe's `before` comes first.
const scenarios = new Scenarios();

describe("start-kubelet.sh on a control-plane node (root)", function () {
    this.timeout(60000);
    before(skipUnlessRoot("start-kubelet tests", scenarios));

    const watcher = scenarios.add(() =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: false }, {}, async ({ node, run }) => {
            // etcd turns healthy (the other members arrived) a few seconds after the script returned.
            node.onRestart = (s) => setTimeout(() => (s.etcdHealthy = true), 3000);
            const r = await run(
                MEMBER_EXISTS,
                `${SHOW_MARKER}; for _ in $(seq 15); do [ -e ${ETCD_JOINED_MARKER} ] && break; sleep 1; done; ${SHOW_MARKER}`,
            );
            return { r, log: node.log };
        }),
    );
    it("a re-run while etcd has data but never had a quorum (cp1 before cp2/cp3 exist) does not wait; a watcher marks the member once it is healthy", async () => {
        const { r, log } = await watcher();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /not yet seen healthy \(bootstrap\): not waiting/);
        assert.doesNotMatch(r.stdout, /waiting for the local/);
        assert.ok(!log.some((l) => l.startsWith("apiserver")), `asked the apiserver: ${log.join(", ")}`);
        assert.match(r.stdout, /^marker=no\nmarker=yes$/m, "the watcher marks the member once etcd is healthy, not before");
        assert.match(r.calls, /^systemd-run .*--unit=v6k8s-etcd-joined-watch .*--mark-when-healthy$/m);
    });

    const firstStart = scenarios.add(() =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: false }, {}, ({ run }) => run(MARKED, SHOW_MARKER)),
    );
    it("a first start (no etcd data) drops a stale marker and does not wait", async () => {
        const r = await firstStart();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /^marker=no$/m);
    });

    const joining = scenarios.add(() =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: false }, {}, async ({ node, run }) => {
            // A member joining a running etcd: healthy once it caught up, a few seconds after it started.
            node.onRestart = (s) => {
                setTimeout(() => (s.etcdHealthy = true), 2000);
                setTimeout(() => (s.apiserverReady = true), 3000);
            };
            return run("", SHOW_MARKER, { joining: true });
        }),
    );
    it("a member joining a running etcd waits at its first start (no data) for etcd's health and /readyz, then is marked", async () => {
        const r = await joining();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.ok(r.seconds >= 3, `returned after ${r.seconds}s, before its etcd was healthy and its apiserver ready`);
        assert.doesNotMatch(r.stdout, /not waiting/);
        assert.match(r.stdout, /^waiting for the local etcd member's health /m);
        assert.match(r.stdout, /^marker=yes$/m);
    });

    const upgrade = scenarios.add(() =>
        withNode({ etcdHealthy: true, apiserverVersion: "1.33.5", apiserverReady: true }, {}, async ({ node, run }) => {
            // After the restart the old apiserver pod still answers /readyz; etcd restarts first.
            let restarted = 0;
            node.onRestart = (s) => {
                restarted = Date.now();
                s.etcdHealthy = false;
                setTimeout(() => (s.etcdHealthy = true), 2000);
                setTimeout(() => (s.apiserverVersion = TARGET), 4000);
            };
            const r = await run(MEMBER_EXISTS, SHOW_MARKER);
            return { r, restarted, log: node.log };
        }),
    );
    it("an upgrade of a member seen healthy waits for etcd's health, then /version at the target, then /readyz, printing progress", async () => {
        const { r, restarted, log } = await upgrade();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.ok(restarted > 0);
        assert.ok(r.seconds >= 4, `returned after ${r.seconds}s, before the apiserver reported ${TARGET}`);
        assert.match(r.stdout, /^waiting for the local etcd member's health \(http:\/\/\[::1\]:\d+\/health\) \(\ds of 8s\)$/m);
        assert.match(r.stdout, /^waiting for the local apiserver at 1\.34\.2 .*\(\ds of 8s\)$/m);
        assert.match(r.stdout, /^the local apiserver's https:\/\/\[::1\]:\d+\/readyz: ready after \d+s$/m);
        assert.match(r.stdout, /^marker=yes$/m);
        // /readyz is only asked once /version reported the target (the new pod).
        const afterRestart = log.slice(log.indexOf("etcd /health") + 1);
        const firstReadyz = afterRestart.indexOf("apiserver /readyz");
        assert.ok(firstReadyz > afterRestart.lastIndexOf("apiserver /version"), afterRestart.join(", "));
    });

    const notBack = scenarios.add(() =>
        withNode({ etcdHealthy: true, apiserverVersion: "1.33.5", apiserverReady: true }, {}, ({ run }) =>
            run(MEMBER_EXISTS + MARKED, "", { timeoutSeconds: 3 }),
        ),
    );
    it("a marked member that does not come back fails with the pods and their logs (crictl) and the kubelet journal", async () => {
        const r = await notBack();
        assert.match(r.stdout, /^exit=1$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^the local apiserver at 1\.34\.2 \(https:\/\/\[::1\]:\d+\/version\): not ready within 3s$/m);
        assert.match(r.stdout, /^waiting for the local apiserver at 1\.34\.2 .*\(\ds of 3s\)$/m);
        assert.match(r.stderr, /^--- crictl ps -a\nFAKE-CRICTL-PS$/m);
        assert.match(
            r.stderr,
            /^--- crictl logs --tail 50 c0ffee \(kube-apiserver\)\nFAKE-CRICTL-LOGS --runtime-endpoint unix:\/\/\/run\/containerd\/containerd.sock logs --tail 50 c0ffee$/m,
        );
        assert.match(r.stderr, /^--- journalctl -u kubelet -n 50 --no-pager\nFAKE-JOURNAL -u kubelet -n 50 --no-pager$/m);
    });

    const podLog = "/var/log/pods/kube-system_etcd-cp1_0123/etcd/0.log";
    const noCrictl = scenarios.add(() =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: true }, { crictl: false }, ({ run }) =>
            run(`mkdir -p ${path.posix.dirname(podLog)} && echo ETCD-SAYS-NO-LEADER > ${podLog} && ${MEMBER_EXISTS}${MARKED}`, "", {
                timeoutSeconds: 2,
            }),
        ),
    );
    it("without crictl the failure shows the kubelet's copy of the container log", async () => {
        const r = await noCrictl();
        assert.match(r.stdout, /^exit=1$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^the local etcd member's health .*: not ready within 2s$/m);
        assert.match(r.stderr, /crictl not installed/);
        assert.match(r.stderr, new RegExp(`^--- tail -n 50 ${podLog}\\nETCD-SAYS-NO-LEADER$`, "m"));
    });

    const reruns = scenarios.add(() =>
        withNode({ etcdHealthy: true, apiserverVersion: TARGET, apiserverReady: true }, {}, ({ run, script }) => {
            const again = `bash ${script}; echo "exit=$?"`;
            return run(
                `mkdir -p /var/lib/kubelet && echo 'kind: KubeletConfiguration' > ${PATHS.kubeletConfig} && export FAKE_ACTIVE=1 && `,
                // 2nd: nothing changed; 3rd: the kubelet's config changed; 4th: nothing changed but neither runs.
                `${again}; echo 'maxPods: 90' >> ${PATHS.kubeletConfig}; ${again}; FAKE_ACTIVE= ${again}`,
                { controlPlane: false },
            );
        }),
    );
    it("a re-run restarts containerd and the kubelet only when what they read at start changed, or when they are not running", async () => {
        const r = await reruns();
        assert.deepEqual(r.stdout.match(/^exit=\d+$/gm), ["exit=0", "exit=0", "exit=0", "exit=0"], `${r.stdout}${r.stderr}`);
        const restarts = r.calls.split("\n").filter((l) => l.startsWith("systemctl restart"));
        assert.deepEqual(restarts, [
            // First start (no stamp yet): both.
            "systemctl restart containerd.service",
            "systemctl restart kubelet.service",
            // Second run: none. Third: the kubelet alone. Fourth (not running): both.
            "systemctl restart kubelet.service",
            "systemctl restart containerd.service",
            "systemctl restart kubelet.service",
        ]);
        assert.match(r.stdout, /^containerd.service: running, nothing it reads at start changed: left running$/m);
    });

    const deafKubelet = scenarios.add(() =>
        withNode({ etcdHealthy: true, apiserverVersion: TARGET, apiserverReady: true }, {}, ({ run }) =>
            run("", "", { kubeletHealthzPort: 1, kubeletTimeoutSeconds: 2 }),
        ),
    );
    it("a kubelet that does not answer /healthz fails with its journal", async () => {
        const r = await deafKubelet();
        assert.match(r.stdout, /^exit=1$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^the kubelet's http:\/\/\[::1\]:1\/healthz: not ready within 2s$/m);
        assert.match(r.stderr, /^FAKE-JOURNAL -u kubelet -n 50 --no-pager$/m);
    });
});

// A fake ctr: the etcd container runs for the next N `tasks ls` (N in $dir/etcd-runs), then is gone.
const fakeCtr = (dir: string) => `#!/bin/bash
echo "ctr $*" >> ${dir}/calls
[ "$1 $2" = "--namespace k8s.io" ] || exit 2
case "$3 $4" in
"tasks ls") echo "TASK PID STATUS"; n=$(cat ${dir}/etcd-runs 2>/dev/null || echo 0)
    if [ "$n" -gt 0 ]; then echo "etcd-c 77 RUNNING"; echo $((n - 1)) > ${dir}/etcd-runs; fi ;;
"containers ls") echo etcd-c ;;
*) exit 2 ;;
esac
`;

describe("start-kubelet.sh on a node that is no longer a control-plane node (root)", function () {
    this.timeout(60000);
    before(skipUnlessRoot("start-kubelet tests", scenarios));
    const DATA = "mkdir -p /var/lib/etcd/member/snap && echo db > /var/lib/etcd/member/snap/db && ";
    const SHOW = `ls -d /var/lib/etcd/member ${RETIRED_ETCD_DATA_PREFIX}*/member/snap/db 2>&1; ${SHOW_MARKER}`;
    /** A worker's start script run with the fake ctr, the etcd container running for `etcdRuns` looks. */
    const asWorker = (before: string, after: string, etcdRuns?: number) =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: false }, {}, async ({ run, dir, node }) => {
            fs.writeFileSync(path.join(dir, "bin", "ctr"), fakeCtr(dir), { mode: 0o755 });
            if (etcdRuns !== undefined) fs.writeFileSync(path.join(dir, "etcd-runs"), String(etcdRuns));
            const r = await run(before, after, { controlPlane: false });
            return { r, dir, opts: node.opts };
        });

    const retire = scenarios.add(() => asWorker(DATA + MARKED, SHOW, 4));
    it("moves its etcd data aside once the etcd container stopped, so it can never rejoin as the removed member", async () => {
        const { r, dir } = await retire();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /^waiting for the etcd container of an earlier control-plane role to stop \(\ds of 120s\)$/m);
        assert.match(
            r.stdout,
            /^this node is no longer a control-plane node: moved its etcd data aside to \/var\/lib\/etcd\.retired-\d{8}T\d{6}Z$/m,
        );
        assert.match(r.stdout, /No such file or directory/, "no /var/lib/etcd/member left");
        assert.match(r.stdout, /^\/var\/lib\/etcd\.retired-\d{8}T\d{6}Z\/member\/snap\/db$/m, "the data is kept");
        assert.match(r.stdout, /^marker=no$/m);
        // Nothing moves while the container runs: the last `tasks ls` before the move saw none.
        assert.equal(fs.readFileSync(path.join(dir, "etcd-runs"), "utf8").trim(), "0");
    });

    const manifestStays = scenarios.add(() =>
        asWorker(`${DATA}mkdir -p /etc/kubernetes/manifests && touch /etc/kubernetes/manifests/etcd.yaml && `, SHOW),
    );
    it("leaves the data while the etcd manifest is still there (the file cleanup removes it)", async () => {
        const { r } = await manifestStays();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.match(
            r.stdout,
            /etcd data of an earlier control-plane role stays in \/var\/lib\/etcd while \/etc\/kubernetes\/manifests\/etcd\.yaml is there/,
        );
        assert.match(r.stdout, /^\/var\/lib\/etcd\/member$/m);
        assert.doesNotMatch(r.calls, /^ctr /m);
    });

    // The kubelet went from v1.33.13 (recorded at its last start) to the fake v1.34.2; a container stops on the second look.
    const releaseChange = (recorded: string) =>
        withNode({ etcdHealthy: false, apiserverVersion: TARGET, apiserverReady: false }, {}, async ({ run, dir }) => {
            fs.writeFileSync(path.join(dir, "bin", "ctr"), fakeCtr(dir), { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "etcd-runs"), "1");
            const kubelet = `printf '#!/bin/sh\\necho Kubernetes v1.34.2\\n' > /usr/local/bin/kubelet && chmod 755 /usr/local/bin/kubelet && `;
            const stamp = `mkdir -p /var/lib/v6k8s/started && echo '${recorded}' > /var/lib/v6k8s/started/kubelet.release && `;
            const r = await run(kubelet + stamp, "cat /var/lib/v6k8s/started/kubelet.release", { controlPlane: false, settleSeconds: 2 });
            return { r };
        });
    const upgraded = scenarios.add(() => releaseChange("Kubernetes v1.33.13"));
    const same = scenarios.add(() => releaseChange("Kubernetes v1.34.2"));
    it("after the kubelet changed release, waits until no container started or stopped for settleSeconds; records the release; not when it stayed", async () => {
        const { r } = await upgraded();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        const settled = /^the containers under kubelet v1\.34\.2 \(none started or stopped for 2s: [^)]*\): ready after (\d+)s$/m.exec(
            r.stdout,
        );
        assert.ok(settled && Number(settled[1]) >= 2, r.stdout);
        assert.ok((r.calls.match(/^ctr --namespace k8s\.io tasks ls$/gm) ?? []).length >= 3, r.calls);
        assert.match(r.stdout, /^Kubernetes v1\.34\.2$/m, "the release is recorded");
        const stayed = (await same()).r;
        assert.match(stayed.stdout, /^exit=0$/m, `${stayed.stdout}${stayed.stderr}`);
        assert.doesNotMatch(stayed.stdout, /containers under kubelet/);
        assert.doesNotMatch(stayed.calls, /^ctr /m);
    });

    const neverEtcd = scenarios.add(() => asWorker("", ""));
    it("a node that never ran etcd asks nothing; a control-plane node never retires its data", async () => {
        const { r, opts } = await neverEtcd();
        assert.match(r.stdout, /^exit=0$/m, `${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.calls, /^ctr /m);
        assert.doesNotMatch(renderStartKubelet({ ...opts, controlPlane: true }), /retired/);
    });
});
