// The rendered apt_install (every host's install-packages.sh and the gateway step) run by a real
// bash with the real dpkg and apt-get, against a scratch dpkg database (DPKG_ADMINDIR, apt's
// Dir::State::status) and a local repository of two file-less packages, inside a private mount
// namespace whose /var/log is a scratch directory. The interruption is a real one: the first
// package's postinst kills its dpkg, which leaves dpkg's journal behind, and apt then refuses
// every install until `dpkg --configure -a` has run.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APT_INSTALL_FUNCTION } from "../../components/hosts/render/scripts";
import { inScratchRoot } from "../runtime/scratch";

const A = "v6k8s-test-a";
const B = "v6k8s-test-b";

/** A package with no files, only a control file and (maybe) a postinst. */
function buildPackage(root: string, name: string, postinst?: string): void {
    const dir = path.join(root, "build", name);
    fs.mkdirSync(path.join(dir, "DEBIAN"), { recursive: true });
    const control = `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: v6k8s tests <tests@example.org>\nDescription: test package\n`;
    fs.writeFileSync(path.join(dir, "DEBIAN", "control"), control);
    if (postinst) fs.writeFileSync(path.join(dir, "DEBIAN", "postinst"), postinst, { mode: 0o755 });
    const deb = path.join(root, "repo", `${name}_1.0_all.deb`);
    execFileSync("dpkg-deb", ["-Zgzip", "--build", dir, deb], { stdio: "ignore" });
    const bytes = fs.readFileSync(deb);
    const entry = `${control}Filename: ./${path.basename(deb)}\nSize: ${bytes.length}\nSHA256: ${createHash("sha256").update(bytes).digest("hex")}\n\n`;
    fs.appendFileSync(path.join(root, "repo", "Packages"), entry);
}

/** A scratch dpkg database, apt state and a trusted local repository holding A and B. */
function scratchSystem(): { root: string; env: string } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-apt-"));
    for (const d of [
        "admin/updates",
        "admin/info",
        "admin/triggers",
        "repo",
        "state/lists/partial",
        "cache/archives/partial",
        "etc/apt/apt.conf.d",
        "etc/apt/preferences.d",
        "etc/apt/sources.list.d",
        "log",
        "varlog",
    ]) {
        fs.mkdirSync(path.join(root, d), { recursive: true });
    }
    fs.writeFileSync(path.join(root, "admin", "status"), "");
    fs.writeFileSync(path.join(root, "admin", "available"), "");
    fs.writeFileSync(path.join(root, "repo", "Packages"), "");
    // A's postinst kills its dpkg the first time (the marker says it did), then succeeds.
    const marker = path.join(root, "killed");
    buildPackage(root, A, `#!/bin/sh\nif [ ! -e ${marker} ]; then touch ${marker}; kill -9 $PPID; sleep 5; fi\nexit 0\n`);
    buildPackage(root, B);
    fs.writeFileSync(path.join(root, "etc", "apt", "sources.list"), `deb [trusted=yes] file:${root}/repo ./\n`);
    fs.writeFileSync(
        path.join(root, "apt.conf"),
        [
            `Dir "${root}/";`,
            `Dir::State "${root}/state/";`,
            `Dir::State::status "${root}/admin/status";`,
            `Dir::Cache "${root}/cache/";`,
            `Dir::Etc "${root}/etc/apt/";`,
            `Dir::Log "${root}/log/";`,
            `APT::Sandbox::User "root";`,
            `DPkg::Options { "--admindir=${root}/admin"; };`,
            "",
        ].join("\n"),
    );
    return { root, env: `export APT_CONFIG=${root}/apt.conf DPKG_ADMINDIR=${root}/admin; ` };
}

const status = (root: string, pkg: string) =>
    execFileSync("dpkg-query", ["-W", "-f=${Status}", pkg], {
        env: { ...process.env, DPKG_ADMINDIR: path.join(root, "admin") },
        encoding: "utf8",
    });

describe("apt_install with the real dpkg and apt-get (scratch dpkg database, root)", function () {
    this.timeout(60000);
    let sys: { root: string; env: string };
    // dpkg logs to /var/log/dpkg.log: a scratch one in the test's mount namespace.
    const run = (script: string) => inScratchRoot(sys.env + script, `mount --bind ${sys.root}/varlog /var/log && `);

    before(function () {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn("\n  !!! SKIPPED apt_install tests: need root !!!\n");
            this.skip();
        }
        sys = scratchSystem();
    });

    after(() => fs.rmSync(sys.root, { recursive: true, force: true }));

    it("a dpkg killed mid-install leaves its journal, and plain apt-get then refuses every install (the failure this guards against)", async () => {
        const killed = await run(`apt-get update -q >/dev/null 2>&1; apt-get install -y -q ${A}; echo "exit=$?"`);
        assert.match(killed.stdout, /exit=100/, killed.stdout + killed.stderr);
        assert.notDeepEqual(fs.readdirSync(path.join(sys.root, "admin", "updates")), [], "no dpkg journal left behind");
        assert.equal(status(sys.root, A), "install ok half-configured");
        const refused = await run(`apt-get install -y -q ${B}; echo "exit=$?"`);
        assert.match(refused.stdout, /exit=100/);
        assert.match(refused.stderr, /dpkg was interrupted, you must manually run 'dpkg --configure -a'/);
    });

    it("apt_install finishes the interrupted run (dpkg --configure -a), then installs what is missing", async () => {
        const r = await run(`${APT_INSTALL_FUNCTION}\nset -eu\napt_install ${A} ${B}`);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /an interrupted dpkg run is left on this host: dpkg --configure -a/);
        assert.equal(status(sys.root, A), "install ok installed");
        assert.equal(status(sys.root, B), "install ok installed");
        assert.deepEqual(fs.readdirSync(path.join(sys.root, "admin", "updates")), []);
    });

    it("with everything installed it asks apt for nothing (an apt-get that fails is never called)", async () => {
        const stub = path.join(sys.root, "stub");
        fs.mkdirSync(stub, { recursive: true });
        fs.writeFileSync(path.join(stub, "apt-get"), "#!/bin/sh\necho called >&2\nexit 1\n", { mode: 0o755 });
        const r = await run(`export PATH=${stub}:$PATH\n${APT_INSTALL_FUNCTION}\nset -eu\napt_install ${A} ${B}`);
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /called/);
    });
});
