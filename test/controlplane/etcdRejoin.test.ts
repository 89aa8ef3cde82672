// etcd-rejoin.sh, run by a real bash in a scratch mount namespace against a fake etcd cluster: a
// fake curl on PATH answers the JSON gateway's member list/remove/add and /health from a members
// file (spacing its JSON the way protojson does), so each decision of the script and what it
// leaves (marker, manifest, calls) is checked.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ETCD_MANIFEST_PATH, renderEtcdManifest } from "../../components/controlplane/render/etcd";
import {
    ETCD_REJOIN_MARKER,
    ETCD_REJOIN_PATH,
    ETCD_REJOIN_SAVED_MANIFEST,
    renderEtcdRejoin,
} from "../../components/controlplane/render/etcdRejoin";
import { kubernetesFiles } from "../../components/controlplane/render/files";
import { inScratchRoot } from "../runtime/scratch";
import { fixture } from "./fixture";

const { cluster, node } = fixture();
const cp2 = node("cp2");
const url = (i: number, port: number) => `https://[fd8a:31c2:7c1f:1:${i}::1]:${port}`;
const CP2_PEER = url(2, 2380);

/** `id|name|peer url|client url|learner`: the fake cluster's members as it starts. */
const STARTED = [
    `101|cp1|${url(1, 2380)}|${url(1, 2379)}|`,
    `102|cp2|${CP2_PEER}|${url(2, 2379)}|`,
    `103|cp3|${url(3, 2380)}|${url(3, 2379)}|`,
];

interface Outcome {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The fake etcd's calls, `<path> <member> <body>` a line. */
    calls: string[];
    /** The members file afterwards. */
    members: string[];
    manifest: string;
    saved: string | null;
    marker: boolean;
}

const FIXTURES = path.join(__dirname, "fixtures");
const rendered = renderEtcdManifest(cluster, cp2, "new");

/**
 * Runs the script for cp2 on a host with `hostSetup` (shell, e.g. data or a marker) against the fake
 * cluster; `args` are the script's arguments.
 */
async function rejoin(members: string[], opts: { hostSetup?: string; down?: string[]; unhealthy?: string[]; args?: string } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-rejoin-"));
    const etcd = path.join(dir, "etcd");
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.mkdirSync(etcd);
    fs.mkdirSync(path.join(dir, "etc-upper"));
    fs.mkdirSync(path.join(dir, "etc-work"));
    fs.copyFileSync(path.join(FIXTURES, "fake-etcd-curl.sh"), path.join(dir, "bin", "curl"));
    fs.copyFileSync(path.join(FIXTURES, "fake-etcd-ctr.sh"), path.join(dir, "bin", "ctr"));
    for (const f of ["curl", "ctr"]) fs.chmodSync(path.join(dir, "bin", f), 0o755);
    fs.writeFileSync(path.join(etcd, "container"), "old\n");
    fs.writeFileSync(path.join(etcd, "members"), members.map((m) => `${m}\n`).join(""));
    fs.writeFileSync(path.join(etcd, "down"), (opts.down ?? []).map((u) => `${u}\n`).join(""));
    fs.writeFileSync(path.join(etcd, "unhealthy"), (opts.unhealthy ?? []).map((u) => `${u}\n`).join(""));
    const script = kubernetesFiles(cluster, cp2).get(ETCD_REJOIN_PATH)!.content;
    fs.writeFileSync(path.join(dir, "rejoin.sh"), script);
    fs.writeFileSync(path.join(dir, "etcd.yaml"), rendered);
    const out = path.join(dir, "out");
    fs.mkdirSync(out);
    const setup = [
        `export PATH=${dir}/bin:$PATH FAKE_LOG=${dir}/calls FAKE_ETCD=${etcd}`,
        "mount -t tmpfs scratch /var/lib",
        // The manifest goes under /etc: an overlay keeps the machine's own untouched.
        `mount -t overlay scratch -o lowerdir=/etc,upperdir=${dir}/etc-upper,workdir=${dir}/etc-work /etc`,
        `mkdir -p ${path.posix.dirname(ETCD_MANIFEST_PATH)} && cp ${dir}/etcd.yaml ${ETCD_MANIFEST_PATH}`,
        "",
    ].join(" && ");
    const keep = [
        `cp ${ETCD_MANIFEST_PATH} ${out}/manifest`,
        `{ [ ! -e ${ETCD_REJOIN_SAVED_MANIFEST} ] || cp ${ETCD_REJOIN_SAVED_MANIFEST} ${out}/saved; }`,
        `{ [ ! -e ${ETCD_REJOIN_MARKER} ] || touch ${out}/marker; }`,
    ].join("; ");
    const r = await inScratchRoot(`${opts.hostSetup ?? ""}bash ${dir}/rejoin.sh ${opts.args ?? ""}; s=$?; ${keep}; exit $s`, setup);
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : null);
    const o: Outcome = {
        status: r.status,
        stdout: r.stdout,
        stderr: r.stderr,
        calls: (read(path.join(dir, "calls")) ?? "").split("\n").filter(Boolean),
        members: (read(path.join(etcd, "members")) ?? "").split("\n").filter(Boolean),
        manifest: read(path.join(out, "manifest")) ?? "",
        saved: read(path.join(out, "saved")),
        marker: fs.existsSync(path.join(out, "marker")),
    };
    fs.rmSync(dir, { recursive: true, force: true });
    return o;
}

const HAS_DATA = "mkdir -p /var/lib/etcd/member/wal && touch /var/lib/etcd/member/wal/0000000000000000-0000000000000000.wal && ";
const MARKED = `mkdir -p ${path.posix.dirname(ETCD_REJOIN_MARKER)} && touch ${ETCD_REJOIN_MARKER} && `;
const flag = (manifest: string, name: string) => new RegExp(`^ *- --${name}=(.*)$`, "m").exec(manifest)?.[1];

describe("etcd-rejoin.sh (a reinstalled control-plane host), against a fake etcd", function () {
    before(function () {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn("\n  !!! SKIPPED etcd-rejoin.sh: needs root (a scratch mount namespace) !!!\n");
            this.skip();
        }
    });

    it("is rendered for every control-plane node, asking the others in name order", () => {
        assert.equal(kubernetesFiles(cluster, cp2).get(ETCD_REJOIN_PATH)?.mode, "0755");
        assert.match(
            kubernetesFiles(cluster, cp2).get(ETCD_REJOIN_PATH)!.content,
            /^others=\('https:\/\/\[fd8a:31c2:7c1f:1:1::1\]:2379' 'https:\/\/\[fd8a:31c2:7c1f:1:3::1\]:2379'\)$/m,
        );
        assert.equal(kubernetesFiles(cluster, node("w1")).has(ETCD_REJOIN_PATH), false);
    });

    it("with etcd data on the host: changes nothing and asks no one", async () => {
        const o = await rejoin(STARTED, { hostSetup: HAS_DATA });
        assert.equal(o.status, 0, o.stderr);
        assert.match(o.stdout, /has its data in \/var\/lib\/etcd: nothing to rejoin/);
        assert.deepEqual(o.calls, []);
        assert.equal(o.manifest, rendered);
        assert.equal(o.marker, false);
    });

    it("no other member answers (first bootstrap): starts as rendered", async () => {
        const o = await rejoin(STARTED, { down: [url(1, 2379), url(3, 2379)] });
        assert.equal(o.status, 0, o.stderr);
        assert.match(o.stdout, /no other member answers: a first bootstrap, cp2 starts as rendered/);
        assert.equal(o.calls.length, 2, o.calls.join("\n"));
        assert.equal(o.manifest, rendered);
        assert.equal(o.marker, false);
    });

    // A member of the first bootstrap has its name (from --initial-cluster) before it starts; one
    // added by `member add` has none. Neither has published client URLs: the lab's first
    // bootstrap caught the name being taken for "started".
    for (const [what, member] of [
        ["a bootstrap member, named", `102|cp2|${CP2_PEER}||`],
        ["added by member add, no name", `102||${CP2_PEER}||`],
    ]) {
        it(`its member has not started yet (${what}): starts as rendered`, async () => {
            const o = await rejoin([STARTED[0], member, STARTED[2]]);
            assert.equal(o.status, 0, o.stderr);
            assert.match(o.stdout, /cp2 is a member that has not started yet/);
            assert.deepEqual(
                o.calls.map((c) => c.split(" ")[0]),
                ["/v3/cluster/member/list"],
            );
            assert.equal(o.manifest, rendered);
            assert.equal(o.marker, false);
        });
    }

    it("a started member without data (reinstalled): old member removed after the quorum check, added again, manifest joins the live membership", async () => {
        const o = await rejoin(STARTED);
        assert.equal(o.status, 0, o.stderr);
        assert.match(o.stdout, /cp2 is a started member \(asked https:\/\/\[fd8a:31c2:7c1f:1:1::1\]:2379\) but this host has no etcd data/);
        assert.deepEqual(
            o.calls.map((c) => c.split(" ")[0]),
            [
                "/v3/cluster/member/list",
                // cp1 and cp3: the quorum left without cp2.
                "/health",
                "/health",
                "/v3/cluster/member/remove",
                "/v3/cluster/member/add",
                "/v3/cluster/member/list",
            ],
        );
        assert.ok(o.calls.includes(`/v3/cluster/member/remove ${url(1, 2379)} {"ID":"102"}`), o.calls.join("\n"));
        assert.ok(o.calls.includes(`/v3/cluster/member/add ${url(1, 2379)} {"peerURLs":["${CP2_PEER}"]}`), o.calls.join("\n"));
        assert.deepEqual(o.members, [STARTED[0], STARTED[2], `900||${CP2_PEER}||`]);
        assert.equal(flag(o.manifest, "initial-cluster-state"), "existing");
        assert.equal(flag(o.manifest, "initial-cluster"), `cp1=${url(1, 2380)},cp3=${url(3, 2380)},cp2=${CP2_PEER}`);
        // Nothing else differs from the rendered manifest, which is kept aside for --finish.
        const strip = (m: string) => m.replace(/^ *- --initial-cluster(-state)?=.*$/gm, "");
        assert.equal(strip(o.manifest), strip(rendered));
        assert.equal(o.saved, rendered);
        assert.equal(o.marker, true);
    });

    it("refuses, with nothing changed, when the members left would have no healthy quorum", async () => {
        const o = await rejoin(STARTED, { unhealthy: [url(3, 2379)] });
        assert.equal(o.status, 1);
        assert.match(
            o.stderr,
            /etcd: cp2 cannot rejoin: 2 members would be left, 1 of them healthy, and etcd needs 2 for a quorum: nothing changed/,
        );
        assert.deepEqual(o.members, STARTED);
        assert.equal(
            o.calls.some((c) => /remove|add/.test(c)),
            false,
            o.calls.join("\n"),
        );
        assert.equal(o.manifest, rendered);
        assert.equal(o.marker, false);
    });

    it("a run cut short after the removal goes on: the member is added, the manifest written", async () => {
        const o = await rejoin([STARTED[0], STARTED[2]], { hostSetup: MARKED });
        assert.equal(o.status, 0, o.stderr);
        assert.deepEqual(o.members, [STARTED[0], STARTED[2], `900||${CP2_PEER}||`]);
        assert.equal(flag(o.manifest, "initial-cluster-state"), "existing");
        assert.equal(o.marker, true);
    });

    it("rejoining but no other member answers: fails naming them", async () => {
        const o = await rejoin(STARTED, { hostSetup: MARKED, down: [url(1, 2379), url(3, 2379)] });
        assert.equal(o.status, 1);
        assert.match(
            o.stderr,
            /cp2 cannot rejoin: no other member answers \(https:\/\/\[fd8a:31c2:7c1f:1:1::1\]:2379 https:\/\/\[fd8a:31c2:7c1f:1:3::1\]:2379\)/,
        );
    });

    it("another member has not started yet: fails naming it, before writing the manifest", async () => {
        const o = await rejoin([...STARTED, `104||${url(4, 2380)}||`]);
        assert.equal(o.status, 1);
        assert.match(o.stderr, /another member \(https:\/\/\[fd8a:31c2:7c1f:1:4::1\]:2380\) has not started yet: it must join first/);
        assert.equal(o.manifest, rendered);
        assert.equal(o.marker, true);
    });

    it("--finish: the rendered manifest back, waits for etcd restarted on it and healthy, marker gone", async () => {
        const joiningManifest = rendered.replace("--initial-cluster-state=new", "--initial-cluster-state=existing");
        const o = await rejoin(STARTED, {
            hostSetup:
                MARKED +
                `printf '%s' '${rendered}' > ${ETCD_REJOIN_SAVED_MANIFEST} && printf '%s' '${joiningManifest}' > ${ETCD_MANIFEST_PATH} && ` +
                // The kubelet restarts etcd on the manifest it finds, two seconds later.
                `{ (sleep 2; echo new > "$FAKE_ETCD/container") & } && `,
            args: "--finish",
        });
        assert.equal(o.status, 0, o.stderr);
        assert.match(o.stdout, /etcd on cp2 restarted with its rendered manifest and healthy .*: ready after [1-9]/);
        assert.equal(o.manifest, rendered);
        assert.equal(o.saved, null);
        assert.equal(o.marker, false);
        assert.deepEqual(
            o.calls.filter((c) => c.includes("/v3/")),
            [],
        );
    });

    it("the script renders for any member list (a lone member asks no one)", () => {
        const script = renderEtcdRejoin({ name: "a", peerUrl: url(1, 2380), otherClientUrls: [], etcdMetricsPort: 2381 });
        assert.match(script, /^others=\(\)$/m);
    });
});
