// The runtime scripts run by a real bash in a private mount namespace whose /usr/local is a tmpfs,
// so they install into a scratch tree; releases come from a local HTTP server on [::1].
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { CONTAINERD_STAMP_PATH, renderInstallBinaries } from "../../components/runtime/render/installBinaries";
import { renderSkewCheck, renderWaitControlPlane } from "../../components/controlplane/render/activate";
import * as https from "https";
import { fakeHost, inScratchRoot, selfSignedLocalhost } from "./scratch";

const V = { kubernetes: "1.34.2", containerd: "2.1.4", runc: "1.3.0", etcd: "3.6.8" };
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** A shell script that prints a version line like the real binary. */
const fakeBinary = (line: string) => `#!/bin/sh\necho "${line}"\n`;

function buildReleases(root: string, opts: { corruptKubelet?: boolean; corruptEtcd?: boolean } = {}): void {
    const put = (rel: string, data: Buffer | string) => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), data);
    };
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-ctr-"));
    fs.mkdirSync(path.join(stage, "bin"));
    fs.writeFileSync(
        path.join(stage, "bin", "containerd"),
        fakeBinary(`containerd github.com/containerd/containerd/v2 v${V.containerd} deadbeef`),
        { mode: 0o755 },
    );
    fs.writeFileSync(path.join(stage, "bin", "containerd-shim-runc-v2"), fakeBinary("shim"), { mode: 0o755 });
    const tarball = `containerd-${V.containerd}-linux-amd64.tar.gz`;
    execFileSync("tar", ["-C", stage, "-czf", path.join(stage, tarball), "bin"]);
    const tgz = fs.readFileSync(path.join(stage, tarball));
    put(`containerd/v${V.containerd}/${tarball}`, tgz);
    put(`containerd/v${V.containerd}/${tarball}.sha256sum`, `${sha(tgz)}  ${tarball}\n`);
    const runc = fakeBinary(`runc version ${V.runc}`);
    put(`runc/v${V.runc}/runc.amd64`, runc);
    put(`runc/v${V.runc}/runc.sha256sum`, `${sha("other")} *runc.arm64\n${sha(runc)} *runc.amd64\n`);
    const kubelet = fakeBinary(`Kubernetes v${V.kubernetes}`);
    put(`k8s/v${V.kubernetes}/bin/linux/amd64/kubelet`, kubelet);
    put(`k8s/v${V.kubernetes}/bin/linux/amd64/kubelet.sha256`, opts.corruptKubelet ? sha("tampered") : sha(kubelet));
    put(`k8s/v${V.kubernetes}/bin/linux/amd64/kubectl`, fakeBinary(`Client Version: v${V.kubernetes}`));
    put(`k8s/v${V.kubernetes}/bin/linux/amd64/kubectl.sha256`, sha(fakeBinary(`Client Version: v${V.kubernetes}`)));
    // etcd's release: every binary under etcd-v<v>-linux-amd64/, SHA256SUMS listing every platform's tarball.
    const top = `etcd-v${V.etcd}-linux-amd64`;
    fs.mkdirSync(path.join(stage, top));
    fs.writeFileSync(
        path.join(stage, top, "etcdutl"),
        `#!/bin/sh
printf 'etcdutl version: ${V.etcd}\nAPI version: 3.6\n'
`,
        { mode: 0o755 },
    );
    fs.writeFileSync(path.join(stage, top, "etcd"), fakeBinary("etcd"), { mode: 0o755 });
    execFileSync("tar", ["-C", stage, "-czf", path.join(stage, `${top}.tar.gz`), top]);
    const etcd = fs.readFileSync(path.join(stage, `${top}.tar.gz`));
    put(`etcd/v${V.etcd}/${top}.tar.gz`, etcd);
    put(
        `etcd/v${V.etcd}/SHA256SUMS`,
        `${sha("arm")}  etcd-v${V.etcd}-linux-arm64.tar.gz\n${opts.corruptEtcd ? sha("x") : sha(etcd)}  ${top}.tar.gz\n`,
    );
}

function serve(root: string): Promise<{ server: http.Server; base: string; hits: string[] }> {
    const hits: string[] = [];
    const server = http.createServer((req, res) => {
        hits.push(req.url ?? "");
        const file = path.join(root, decodeURIComponent(req.url ?? ""));
        if (!file.startsWith(root) || !fs.existsSync(file)) res.writeHead(404).end();
        else res.writeHead(200).end(fs.readFileSync(file));
    });
    return new Promise((resolve) =>
        server.listen(0, "::1", () => {
            resolve({ server, base: `http://[::1]:${(server.address() as AddressInfo).port}`, hits });
        }),
    );
}

/**
 * The releases (buildReleases) served on [::1] and install-binaries rendered against them into
 * `<root>/install.sh`; `use` gets the root and the server's hits, and the server is closed after.
 */
async function withInstallScript(
    opts: { corruptKubelet?: boolean; corruptEtcd?: boolean; controlPlane?: boolean },
    use: (root: string, hits: string[]) => Promise<void>,
): Promise<void> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-releases-"));
    buildReleases(root, opts);
    const { server, base, hits } = await serve(root);
    try {
        const script = renderInstallBinaries(V, {
            kubectl: opts.controlPlane ?? false,
            etcdutl: opts.controlPlane ?? false,
            bases: { kubernetes: `${base}/k8s`, containerd: `${base}/containerd`, runc: `${base}/runc`, etcd: `${base}/etcd` },
        });
        fs.writeFileSync(path.join(root, "install.sh"), script);
        await use(root, hits);
    } finally {
        server.close();
    }
}

describe("runtime scripts in a scratch /usr/local (root)", function () {
    this.timeout(60000);
    before(function () {
        if (process.getuid?.() !== 0 || os.arch() !== "x64") {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root on x86_64");
            console.warn("\n  !!! SKIPPED runtime script tests: need root on x86_64 !!!\n");
            this.skip();
        }
    });

    it("install-binaries installs verified binaries, then a second run downloads nothing", async () => {
        await withInstallScript({}, async (root, hits) => {
            const r = await inScratchRoot(
                `bash ${root}/install.sh && /usr/local/bin/kubelet --version && /usr/local/sbin/runc --version && /usr/local/bin/containerd --version && bash ${root}/install.sh`,
            );
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /Kubernetes v1\.34\.2\nrunc version 1\.3\.0\ncontainerd .* v2\.1\.4 /);
            // First run: 2 files per artifact (binary + checksum) x 3; the second run fetched nothing.
            assert.equal(hits.length, 6, hits.join("\n"));
        });
    });

    it("install-binaries --keep-kubelet leaves an installed kubelet at its release, installs one where none is; without it the kubelet goes to the release", async () => {
        await withInstallScript({}, async (root, hits) => {
            const old = `printf '#!/bin/sh\\necho Kubernetes v1.33.13\\n' > /usr/local/bin/kubelet && chmod 755 /usr/local/bin/kubelet`;
            const r = await inScratchRoot(
                `mkdir -p /usr/local/bin && ${old} && bash ${root}/install.sh --keep-kubelet && /usr/local/bin/kubelet --version && ` +
                    `bash ${root}/install.sh && /usr/local/bin/kubelet --version`,
            );
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /kubelet: Kubernetes v1\.33\.13 kept for now\nKubernetes v1\.33\.13\n[\s\S]*Kubernetes v1\.34\.2\n$/);
            assert.equal(hits.filter((h) => h.includes("/kubelet")).length, 2, hits.join("\n"));
            const fresh = await inScratchRoot(`bash ${root}/install.sh --keep-kubelet && /usr/local/bin/kubelet --version`);
            assert.equal(fresh.status, 0, fresh.stderr);
            assert.match(fresh.stdout, /Kubernetes v1\.34\.2\n$/);
        });
    });

    it("install-binaries on a control-plane node adds kubectl and etcd's etcdutl (from its tarball, checked against SHA256SUMS), then downloads nothing", async () => {
        await withInstallScript({ controlPlane: true }, async (root, hits) => {
            const r = await inScratchRoot(
                `bash ${root}/install.sh && /usr/local/bin/etcdutl version && ls /usr/local/bin && bash ${root}/install.sh`,
            );
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /^etcdutl version: 3\.6\.8$/m);
            // etcdutl only, not the rest of the tarball.
            assert.doesNotMatch(r.stdout, /^etcd$/m);
            assert.equal(hits.filter((h) => h.startsWith("/etcd/")).length, 2, hits.join("\n"));
            assert.equal(hits.length, 10, hits.join("\n"));
        });
    });

    it("install-binaries refuses an etcd tarball whose SHA256SUMS line does not match", async () => {
        await withInstallScript({ controlPlane: true, corruptEtcd: true }, async (root) => {
            const r = await inScratchRoot(`bash ${root}/install.sh; echo "exit=$?"; ls /usr/local/bin`);
            assert.match(r.stdout, /exit=1/);
            assert.match(r.stderr, /checksum mismatch .*etcd-v3\.6\.8-linux-amd64\.tar\.gz/);
            assert.doesNotMatch(r.stdout, /^etcdutl$/m);
        });
    });

    it("install-binaries redoes a containerd extraction that was cut off (a current containerd, no shim, no stamp)", async () => {
        await withInstallScript({}, async (root, hits) => {
            // What an interrupted `tar -xzf` leaves: containerd answers with the wanted version, its shim is missing.
            const cutOff = `printf '#!/bin/sh\necho "containerd x v${V.containerd} y"\n' > /usr/local/bin/containerd && chmod +x /usr/local/bin/containerd && `;
            const r = await inScratchRoot(
                `bash ${root}/install.sh && /usr/local/bin/containerd-shim-runc-v2 && cat ${CONTAINERD_STAMP_PATH} && bash ${root}/install.sh`,
                cutOff,
            );
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /^shim\ncontainerd-2\.1\.4-linux-amd64\.tar\.gz$/m);
            // The tarball was fetched again (with its checksum), once: the second run fetched nothing.
            assert.equal(hits.filter((h) => h.includes("containerd-")).length, 2, hits.join("\n"));
        });
    });

    it("install-binaries refuses a binary whose checksum does not match and installs nothing", async () => {
        await withInstallScript({ corruptKubelet: true }, async (root) => {
            const r = await inScratchRoot(`bash ${root}/install.sh; echo "exit=$?"; ls /usr/local/bin`);
            assert.match(r.stdout, /exit=1/);
            assert.match(r.stderr, /checksum mismatch .*kubelet/);
            assert.doesNotMatch(r.stdout, /^kubelet$/m);
        });
    });

    // [target, installed, control plane, allowed]
    const skew: [string, string | null, boolean, boolean][] = [
        ["1.34.2", null, false, true],
        ["1.34.2", "1.33.5", false, true],
        ["1.34.2", "1.34.0", false, true],
        ["1.35.0", "1.33.5", false, false],
        ["1.32.0", "1.34.1", false, false],
        ["1.33.4", "1.34.1", false, true],
        // A control-plane node never goes back a minor (etcd's data); patches go either way.
        ["1.33.4", "1.34.1", true, false],
        ["1.34.0", "1.34.2", true, true],
        ["1.35.0", "1.34.2", true, true],
        ["1.36.0", "1.34.2", true, false],
        ["1.34.2", null, true, true],
    ];
    for (const [target, installed, controlPlane, ok] of skew) {
        it(`skew check: ${installed ?? "nothing"} -> ${target} on a ${controlPlane ? "control-plane node" : "worker"} is ${ok ? "allowed" : "refused"}`, async () => {
            const fake = installed
                ? `printf '#!/bin/sh\\necho "Kubernetes v${installed}"\\n' > /usr/local/bin/kubelet && chmod +x /usr/local/bin/kubelet && `
                : "";
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-skew-")), "skew.sh");
            fs.writeFileSync(file, renderSkewCheck(target, { controlPlane }));
            const r = await inScratchRoot(`${fake}bash ${file}`);
            assert.equal(r.status === 0, ok, `${r.stdout}${r.stderr}`);
            if (!ok)
                assert.match(
                    r.stderr,
                    controlPlane && !/one minor version at a time/.test(r.stderr)
                        ? /cluster\.kubernetesVersion: refusing to take this control-plane node from 1\.34 back to 1\.33\.4/
                        : /cluster\.kubernetesVersion: refusing to go from 1\.\d+/,
                );
        });
    }

    it("wait-control-plane prints progress while /readyz fails, returns once it answers, and on failure shows the pods and the kubelet journal", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-wait-"));
        selfSignedLocalhost(dir);
        const readyAt = Date.now() + 2500;
        const server = https.createServer({ key: fs.readFileSync(`${dir}/k`), cert: fs.readFileSync(`${dir}/c`) }, (req, res) => {
            res.writeHead(req.url === "/readyz" ? (Date.now() >= readyAt ? 200 : 503) : 404).end("ok");
        });
        await new Promise<void>((r) => server.listen(0, "::1", r));
        const port = (server.address() as AddressInfo).port;
        const setup = fakeHost(dir);
        try {
            const ok = path.join(dir, "ok.sh");
            fs.writeFileSync(ok, renderWaitControlPlane({ proxyPort: port, timeoutSeconds: 10, progressSeconds: 1 }));
            const down = path.join(dir, "down.sh");
            fs.writeFileSync(down, renderWaitControlPlane({ proxyPort: 1, timeoutSeconds: 2, progressSeconds: 1 }));
            // Both wait on the clock, each in its own namespace: at once.
            // (An overlay's upper and work dirs serve one mount: the second run gets its own fakes.)
            const [up, r] = await Promise.all([
                inScratchRoot(`bash ${ok}`, setup),
                inScratchRoot(`bash ${down}`, fakeHost(path.join(dir, "down"))),
            ]);
            assert.equal(up.status, 0, up.stderr);
            assert.match(up.stdout, new RegExp(`^waiting for an apiserver through \\[::1\\]:${port} .*\\(\\ds of 10s\\)$`, "m"));
            assert.match(up.stdout, /: ready after \ds$/m);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /an apiserver through \[::1\]:1 \(https:\/\/\[::1\]:1\/readyz\): not ready within 2s/);
            assert.match(r.stderr, /^FAKE-CRICTL-PS$/m);
            for (const c of ["apiserver-proxy", "kube-apiserver", "etcd"])
                assert.match(
                    r.stderr,
                    new RegExp(`^--- crictl logs --tail 50 c0ffee \\(${c}\\)\nFAKE-CRICTL-LOGS .*logs --tail 50 c0ffee$`, "m"),
                );
            assert.match(r.stderr, /^FAKE-JOURNAL -u kubelet -n 50 --no-pager$/m);
        } finally {
            server.close();
        }
    });

    it("wait-control-plane then labels each control-plane node with an admin credential, taints it or removes the taint (real bash, stub kubectl)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-roles-"));
        selfSignedLocalhost(dir);
        const server = https.createServer({ key: fs.readFileSync(`${dir}/k`), cert: fs.readFileSync(`${dir}/c`) }, (req, res) => {
            res.writeHead(req.url === "/readyz" ? 200 : 404).end("ok");
        });
        await new Promise<void>((r) => server.listen(0, "::1", r));
        const port = (server.address() as AddressInfo).port;
        try {
            // cp2 registers only on the third look; cp3 carries the taint from before it took workloads.
            fs.writeFileSync(
                path.join(dir, "kubectl"),
                `#!/bin/bash
echo "$*" >> ${dir}/calls
args=" $* "
case "$args" in
*" get node cp2 "*) n=$(cat ${dir}/cp2 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/cp2; [ "$n" -ge 2 ] || exit 1;;
*" get node cp3 -o jsonpath="*) echo NoSchedule;;
*" get node nope "*) exit 1;;
esac
exit 0
`,
                { mode: 0o755 },
            );
            fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
            const script = path.join(dir, "wait.sh");
            fs.writeFileSync(
                script,
                renderWaitControlPlane({
                    proxyPort: port,
                    timeoutSeconds: 5,
                    controlPlaneNodes: [
                        { name: "cp1", tainted: true },
                        { name: "cp2", tainted: true },
                        { name: "cp3", tainted: false },
                    ],
                }),
            );
            const r = await inScratchRoot(`PATH=${dir}:$PATH bash ${script}`);
            assert.equal(r.status, 0, r.stderr);
            const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
            const creds =
                `--request-timeout=10s --server=https://[::1]:${port} --certificate-authority=/etc/kubernetes/pki/ca.crt ` +
                "--client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt --client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key";
            assert.ok(
                calls.every((c) => c.startsWith(`${creds} `)),
                calls.join("\n"),
            );
            const verbs = calls.map((c) => c.slice(creds.length + 1)).filter((c) => !c.startsWith("get "));
            assert.deepEqual(verbs, [
                "label node cp1 node-role.kubernetes.io/control-plane= --overwrite",
                "taint node cp1 node-role.kubernetes.io/control-plane:NoSchedule --overwrite",
                "label node cp2 node-role.kubernetes.io/control-plane= --overwrite",
                "taint node cp2 node-role.kubernetes.io/control-plane:NoSchedule --overwrite",
                "label node cp3 node-role.kubernetes.io/control-plane= --overwrite",
                "taint node cp3 node-role.kubernetes.io/control-plane:NoSchedule-",
            ]);
            assert.equal(calls.filter((c) => / get node cp2$/.test(c)).length, 4, "cp2 is waited for until it registers");

            fs.writeFileSync(
                script,
                renderWaitControlPlane({
                    proxyPort: port,
                    timeoutSeconds: 5,
                    registerTimeoutSeconds: 3,
                    controlPlaneNodes: [{ name: "nope", tainted: true }],
                }),
            );
            const missing = await inScratchRoot(`PATH=${dir}:$PATH bash ${script}`);
            assert.equal(missing.status, 1);
            assert.match(missing.stderr, /node nope did not register within 3s/);
        } finally {
            server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
