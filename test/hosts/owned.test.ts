// The owned lists (components/hosts/render/owned.ts), run by a real shell in a scratch root: each
// file-writing step removes what it wrote before and no longer renders, stops and disables the
// units among them, and never touches anything else.
import { strict as assert } from "assert";
import * as fs from "fs";
import {
    filesOnStdin,
    installFilesCommand,
    installStdinFilesCommand,
    promoteStagedCommand,
    tempPath,
} from "../../components/hosts/render/commands";
import type { HostFile } from "../../components/hosts/render/files";
import { OWNERS, checkHostPath } from "../../components/hosts/render/owned";
import { fileStamps, scratchRoot } from "../support/ownedRoot";

const f = (content: string, mode = "0644"): HostFile => ({ content, mode });
const OWNER = OWNERS.kubernetesFiles;

/** A small Kubernetes-like file set: a config, a unit with its timer, a drop-in, static pods last. */
function rendered(opts: { controlPlane: boolean }): Map<string, HostFile> {
    const files = new Map<string, HostFile>([
        ["/etc/kubernetes/kubelet.conf", f("kubeconfig\n", "0600")],
        ["/var/lib/kubelet/config.yaml", f(opts.controlPlane ? "taint: yes\n" : "taint: no\n")],
    ]);
    if (opts.controlPlane) {
        files.set("/etc/kubernetes/scheduler.conf", f("scheduler kubeconfig\n", "0600"));
        files.set("/etc/systemd/system/v6k8s-etcd-backup.service", f("[Service]\n"));
        files.set("/etc/systemd/system/v6k8s-etcd-backup.timer", f("[Timer]\n"));
        files.set("/etc/systemd/system/kubelet.service.d/cp.conf", f("[Service]\n"));
        files.set("/usr/local/lib/v6k8s/etcd-backup.sh", f("#!/bin/bash\n", "0755"));
    }
    files.set("/etc/kubernetes/manifests/apiserver-proxy.yaml", f("proxy\n", "0600"));
    if (opts.controlPlane) {
        files.set("/etc/kubernetes/manifests/etcd.yaml", f("etcd\n", "0600"));
        files.set("/etc/kubernetes/manifests/kube-apiserver.yaml", f("apiserver\n", "0600"));
    }
    return files;
}

const removedLines = (stdout: string) =>
    stdout
        .split("\n")
        .filter((l) => l.startsWith("v6k8s: removing "))
        .map((l) => l.split(" ")[2]);

describe("owned lists: each file-writing step removes what it no longer renders (real shell, scratch root)", () => {
    it("first install: writes the files and the list in write order; with no list before, nothing is removed", () => {
        const s = scratchRoot();
        // From a release before the lists, or someone else's: without a list it is not known to be ours.
        fs.mkdirSync(`${s.root}/etc/kubernetes/manifests`, { recursive: true });
        fs.writeFileSync(`${s.root}/etc/kubernetes/manifests/old.yaml`, "old\n");
        const files = s.reroot(rendered({ controlPlane: true }));
        const r = s.run(installFilesCommand(files, OWNER));
        for (const [p, { content }] of files) assert.equal(fs.readFileSync(p, "utf8"), content);
        assert.deepEqual(s.list(OWNER), [...files.keys()]);
        assert.ok(fs.existsSync(`${s.root}/etc/kubernetes/manifests/old.yaml`));
        assert.deepEqual(removedLines(r.stdout), []);
        assert.deepEqual(s.calls(), []);
        assert.deepEqual(fs.readdirSync(s.owned), [`${OWNER}.list`], "no temp file left beside the list");
    });

    it("staged files: a new or changed one waits hidden (the kubelet reads no dotfile) until promoted; an unchanged one leaves nothing staged; they stay the step's own", () => {
        const s = scratchRoot();
        const scheduler = `${s.root}/etc/kubernetes/manifests/kube-scheduler.yaml`;
        const files = new Map(s.reroot(rendered({ controlPlane: true })));
        files.set(scheduler, f("scheduler v1\n", "0600"));
        const staged = new Set([scheduler]);
        const promote = promoteStagedCommand([scheduler]);
        // First install: staged only, then put in place by the promotion.
        let r = s.run(installFilesCommand(files, OWNER, staged));
        assert.ok(!fs.existsSync(scheduler));
        assert.equal(fs.readFileSync(tempPath(scheduler), "utf8"), "scheduler v1\n");
        assert.match(String(r.stdout), /kube-scheduler\.yaml staged/);
        assert.ok((s.list(OWNER) ?? []).includes(scheduler), "the live path is on the step's list");
        r = s.run(promote);
        assert.equal(fs.readFileSync(scheduler, "utf8"), "scheduler v1\n");
        assert.equal((fs.statSync(scheduler).mode & 0o777).toString(8), "600");
        assert.ok(!fs.existsSync(tempPath(scheduler)));
        // A re-run with the same content stages nothing and the promotion changes nothing.
        const before = fileStamps(s.root);
        s.run(installFilesCommand(files, OWNER, staged));
        r = s.run(promote);
        assert.deepEqual(fileStamps(s.root), before);
        assert.match(String(r.stdout), /kube-scheduler\.yaml unchanged/);
        // A change: the old file serves until the promotion.
        files.set(scheduler, f("scheduler v2\n", "0600"));
        s.run(installFilesCommand(files, OWNER, staged));
        assert.equal(fs.readFileSync(scheduler, "utf8"), "scheduler v1\n");
        s.run(promote);
        assert.equal(fs.readFileSync(scheduler, "utf8"), "scheduler v2\n");
        // Dropped from the render (the node leaves the control plane): removed like any file of the step.
        s.run(installFilesCommand(s.reroot(rendered({ controlPlane: false })), OWNER));
        assert.ok(!fs.existsSync(scheduler));
    });

    it("a re-run of the same render touches nothing: every file and the list keep inode and mtime; no systemctl", () => {
        const s = scratchRoot();
        const script = installFilesCommand(s.reroot(rendered({ controlPlane: true })), OWNER);
        s.run(script);
        const before = fileStamps(s.root);
        const r = s.run(script);
        assert.deepEqual(fileStamps(s.root), before);
        assert.equal(r.stdout, "");
        assert.deepEqual(s.calls(), []);
    });

    it("a node leaving the control plane: the dropped files go (static pods first), units are stopped and disabled before their files go, the list follows", () => {
        const s = scratchRoot();
        const cp = s.reroot(rendered({ controlPlane: true }));
        const worker = s.reroot(rendered({ controlPlane: false }));
        s.run(installFilesCommand(cp, OWNER));
        const kept = `${s.root}/etc/kubernetes/kubelet.conf`;
        const keptStamp = fileStamps(`${s.root}/etc/kubernetes`).get(kept);
        const r = s.run(installFilesCommand(worker, OWNER));
        const gone = [...cp.keys()].filter((p) => !worker.has(p));
        assert.equal(gone.length, 7);
        for (const p of gone) assert.ok(!fs.existsSync(p), `${p} was removed`);
        for (const [p, { content }] of worker) assert.equal(fs.readFileSync(p, "utf8"), content);
        assert.equal(fileStamps(`${s.root}/etc/kubernetes`).get(kept), keptStamp, "an unchanged file is not touched");
        assert.deepEqual(s.list(OWNER), [...worker.keys()]);
        // Last written first: the kubelet drops etcd and the apiserver before their kubeconfigs and units go.
        assert.deepEqual(removedLines(r.stdout), [...gone].reverse());
        assert.deepEqual(s.calls(), [
            "systemctl disable --now v6k8s-etcd-backup.timer [file present]",
            "systemctl disable --now v6k8s-etcd-backup.service [file present]",
            "systemctl daemon-reload [file absent]",
        ]);
        // And again: nothing more to do.
        const after = fileStamps(s.root);
        const again = s.run(installFilesCommand(worker, OWNER));
        assert.equal(again.stdout, "");
        assert.deepEqual(fileStamps(s.root), after);
        assert.equal(s.calls().length, 3);
    });

    it("never touches what the step did not write: a foreign file in the same directory, a file another step's list names", () => {
        const s = scratchRoot();
        const cp = s.reroot(rendered({ controlPlane: true }));
        s.run(installFilesCommand(cp, OWNER));
        const foreign = `${s.root}/etc/kubernetes/manifests/someone-elses.yaml`;
        fs.writeFileSync(foreign, "mine\n");
        // etcd.yaml moved to another step, which ran first and now lists it.
        const moved = `${s.root}/etc/kubernetes/manifests/etcd.yaml`;
        s.run(installFilesCommand(new Map([[moved, f("etcd, written by another step\n", "0600")]]), OWNERS.nodeFiles));
        s.run(installFilesCommand(s.reroot(rendered({ controlPlane: false })), OWNER));
        assert.equal(fs.readFileSync(foreign, "utf8"), "mine\n");
        assert.equal(fs.readFileSync(moved, "utf8"), "etcd, written by another step\n");
        assert.ok(!fs.existsSync(`${s.root}/etc/kubernetes/manifests/kube-apiserver.yaml`));
        assert.deepEqual(s.list(OWNERS.nodeFiles), [moved]);
    });

    it("an empty render removes everything the step listed and keeps no list; on a host that never had one nothing happens", () => {
        const s = scratchRoot();
        const cp = s.reroot(rendered({ controlPlane: true }));
        s.run(installFilesCommand(cp, OWNER));
        s.run(installFilesCommand(new Map(), OWNER));
        for (const p of cp.keys()) assert.ok(!fs.existsSync(p), p);
        assert.equal(s.list(OWNER), null);
        assert.deepEqual(fs.readdirSync(s.owned), []);
        const fresh = scratchRoot();
        const r = fresh.run(installFilesCommand(new Map(), OWNER));
        assert.equal(r.stdout, "");
        assert.equal(fresh.list(OWNER), null);
        assert.deepEqual(fresh.calls(), []);
    });

    it("a failed unit stop fails the step and keeps the old list: the next run removes what is left", () => {
        const s = scratchRoot();
        const cp = s.reroot(rendered({ controlPlane: true }));
        const worker = s.reroot(rendered({ controlPlane: false }));
        s.run(installFilesCommand(cp, OWNER));
        const script = installFilesCommand(worker, OWNER);
        const failed = s.run(script, { allowFail: true, env: { SYSTEMCTL_FAIL: "1" } });
        assert.notEqual(failed.status, 0);
        assert.deepEqual(s.list(OWNER), [...cp.keys()], "the old list stays");
        assert.ok(fs.existsSync(`${s.root}/etc/kubernetes/manifests/etcd.yaml`), "nothing removed while a unit did not stop");
        s.run(script);
        for (const p of cp.keys()) assert.equal(fs.existsSync(p), worker.has(p), p);
        assert.deepEqual(s.list(OWNER), [...worker.keys()]);
        assert.deepEqual(fs.readdirSync(s.owned), [`${OWNER}.list`]);
    });

    for (const shell of ["sh", "bash"]) {
        it(`the pki installer (${shell}) removes the keys a node no longer holds, and only those`, () => {
            const s = scratchRoot();
            const cpKeys = s.reroot(
                new Map([
                    ["/etc/kubernetes/pki/ca.crt", f("CA\n")],
                    ["/var/lib/kubelet/pki/kubelet-client.key", f("KUBELET KEY\n", "0600")],
                    ["/etc/kubernetes/pki/etcd/server.key", f("ETCD KEY\n", "0600")],
                    ["/etc/kubernetes/pki/sa.key", f("SA KEY\n", "0600")],
                ]),
            );
            const workerKeys = new Map([...cpKeys].filter(([p]) => !/etcd|sa\.key/.test(p)));
            const script = installStdinFilesCommand(OWNERS.kubernetesPki);
            s.run(script, { shell, input: filesOnStdin(cpKeys) });
            assert.deepEqual(s.list(OWNERS.kubernetesPki), [...cpKeys.keys()]);
            const before = fileStamps(s.root);
            s.run(script, { shell, input: filesOnStdin(cpKeys) });
            assert.deepEqual(fileStamps(s.root), before, "a re-run touches nothing");
            const r = s.run(script, { shell, input: filesOnStdin(workerKeys) });
            assert.deepEqual(removedLines(r.stdout).sort(), [
                `${s.root}/etc/kubernetes/pki/etcd/server.key`,
                `${s.root}/etc/kubernetes/pki/sa.key`,
            ]);
            for (const p of cpKeys.keys()) assert.equal(fs.existsSync(p), workerKeys.has(p), p);
            assert.deepEqual(s.list(OWNERS.kubernetesPki), [...workerKeys.keys()]);
            // A set cut short removes nothing either.
            const cut = filesOnStdin(new Map()).replace(/end\n$/, "");
            assert.notEqual(s.run(script, { shell, input: cut, allowFail: true }).status, 0);
            for (const p of workerKeys.keys()) assert.ok(fs.existsSync(p), p);
            assert.deepEqual(s.list(OWNERS.kubernetesPki), [...workerKeys.keys()]);
        });
    }

    it("refuses, at render time, paths a line-based list or a shell could misread", () => {
        for (const bad of [
            "/etc/with space.conf",
            "/etc/tab\there",
            "/etc/new\nline",
            "relative/path",
            "/etc/../x",
            "/etc//x",
            "/etc/dir/",
            "/etc/./x",
        ]) {
            assert.throws(() => checkHostPath(bad), RangeError, JSON.stringify(bad));
            assert.throws(() => installFilesCommand(new Map([[bad, f("x\n")]]), OWNER), RangeError, JSON.stringify(bad));
            assert.throws(() => filesOnStdin(new Map([[bad, f("x\n")]])), RangeError, JSON.stringify(bad));
        }
        assert.equal(
            checkHostPath("/etc/systemd/system/v6k8s-nat64.service.d/inbound.conf"),
            "/etc/systemd/system/v6k8s-nat64.service.d/inbound.conf",
        );
    });

    it("every step has its own list", () => {
        const names = Object.values(OWNERS);
        assert.equal(new Set(names).size, names.length);
        for (const n of names) assert.match(n, /^[a-z0-9-]+$/);
    });
});
