// The drain and uncordon around a kubelet's change of release, run by a real bash with a stub
// `kubectl` that keeps one Node's state in files (kubelet version, Ready, unschedulable, our
// annotation) and logs every call. No root needed.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderDrainForKubelet, renderUncordonAfterKubelet } from "../../components/controlplane/render/kubeletUpgrade";

const PROXY_PORT = 7445;

const KUBECTL = `#!/bin/bash
want="--request-timeout=10s --server=https://[::1]:${PROXY_PORT} --certificate-authority=/etc/kubernetes/pki/ca.crt --client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt --client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key"
[ "$1 $2 $3 $4 $5" = "$want" ] || { echo "kubectl: unexpected credentials $*" >&2; exit 2; }
shift 5
echo "kubectl $*" >> "$STUB/calls"
[ -e "$STUB/apiserver-down" ] && { echo "The connection to the server [::1]:${PROXY_PORT} was refused" >&2; exit 1; }
case "$*" in "-n kube-system get lease"*) ;; *) [ "$3" = w1 ] || [ "$2" = w1 ] || { echo "kubectl: not w1: $*" >&2; exit 2; } ;; esac
registered() { [ -e "$STUB/version" ]; }
registered || case "$*" in *--ignore-not-found*) exit 0 ;; *) echo 'Error from server (NotFound): nodes "w1" not found' >&2; exit 1 ;; esac
val() { cat "$STUB/$1" 2>/dev/null || true; }
case "$*" in
*"{.status.nodeInfo.kubeletVersion} {.status.conditions"*) # the kubelet step restarted it: it reports what was installed
    printf '%s %s' "$(val version)" "$(val ready)" ;;
*"{.status.nodeInfo.kubeletVersion}"*) val version ;;
*"{.spec.unschedulable}"*) val unschedulable ;;
*'{.metadata.annotations.v6k8s\\.io/cordoned-for-kubelet}'*) val annotation ;;
"annotate node w1 v6k8s.io/cordoned-for-kubelet="*" --overwrite") echo "\${4#*=}" > "$STUB/annotation" ;;
"annotate node w1 v6k8s.io/cordoned-for-kubelet-") rm -f "$STUB/annotation" ;;
"cordon w1") echo true > "$STUB/unschedulable"; echo "node/w1 cordoned" ;;
"uncordon w1") rm -f "$STUB/unschedulable"; echo "node/w1 uncordoned" ;;
"drain w1 --ignore-daemonsets --delete-emptydir-data --timeout="*)
    [ "$(val unschedulable)" = true ] || { echo "kubectl: drain of a schedulable node in this stub" >&2; exit 2; }
    [ -e "$STUB/drain-fails" ] && { echo "error: cannot delete Pods that declare no controller (use --force to override): default/bare" >&2; exit 1; }
    echo "node/w1 drained" ;;
"get node w1 -o wide") echo "w1 $(val ready) $(val version)" ;;
"-n kube-system get lease "*) # the leaders renew every 2 s: a renewal a second from now, unless stale
    if [ -e "$STUB/stale-leases" ]; then date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S.000000Z; else date -u -d '+1 second' +%Y-%m-%dT%H:%M:%S.000000Z; fi ;;
"-n kube-system get lease kube-controller-manager kube-scheduler -o wide") echo "stale leases" ;;
*) echo "kubectl: unexpected $*" >&2; exit 2 ;;
esac
`;

interface NodeState {
    version?: string;
    ready?: string;
    unschedulable?: boolean;
    annotation?: string;
    flags?: string[];
}

function run(script: string, node: NodeState) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-kubelet-upgrade-"));
    try {
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "kubectl"), KUBECTL, { mode: 0o755 });
        const put = (f: string, v: string | undefined) => v !== undefined && fs.writeFileSync(path.join(dir, f), v);
        put("version", node.version);
        put("ready", node.ready ?? (node.version ? "True" : undefined));
        put("unschedulable", node.unschedulable ? "true" : undefined);
        put("annotation", node.annotation);
        for (const f of node.flags ?? []) fs.writeFileSync(path.join(dir, f), "");
        fs.writeFileSync(path.join(dir, "script.sh"), script);
        const r = spawnSync("bash", [path.join(dir, "script.sh")], {
            encoding: "utf8",
            timeout: 20_000,
            env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STUB: dir },
        });
        const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim() : undefined);
        return {
            status: r.status,
            out: `${r.stdout}${r.stderr}`,
            calls: (read("calls") ?? "").split("\n").filter(Boolean),
            unschedulable: read("unschedulable") === "true",
            annotation: read("annotation"),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const drain = renderDrainForKubelet("w1", "1.34.2", "cp1", { proxyPort: PROXY_PORT, drainTimeoutSeconds: 30 });
const uncordon = renderUncordonAfterKubelet("w1", "1.34.2", "cp1", { proxyPort: PROXY_PORT, readyTimeoutSeconds: 1 });
const mutating = (calls: string[]) => calls.filter((c) => /^kubectl (annotate|cordon|uncordon|drain) /.test(c));

describe("drain and uncordon around a kubelet's change of release (bash, stub kubectl)", () => {
    it("an older kubelet: annotate, cordon, drain; then, once it reports the release and is Ready, uncordon and drop the annotation", () => {
        const d = run(drain, { version: "v1.33.13" });
        assert.equal(d.status, 0, d.out);
        assert.deepEqual(mutating(d.calls), [
            "kubectl annotate node w1 v6k8s.io/cordoned-for-kubelet=v1.34.2 --overwrite",
            "kubectl cordon w1",
            "kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=30s",
        ]);
        assert.match(d.out, /kubelet v1\.33\.13 -> v1\.34\.2: draining/);
        const u = run(uncordon, { version: "v1.34.2", unschedulable: true, annotation: "v1.34.2" });
        assert.equal(u.status, 0, u.out);
        assert.deepEqual(mutating(u.calls), ["kubectl uncordon w1", "kubectl annotate node w1 v6k8s.io/cordoned-for-kubelet-"]);
        assert.equal(u.unschedulable, false);
        assert.equal(u.annotation, undefined);
    });

    it("a kubelet at the release, or a node not registered yet, is not touched", () => {
        for (const node of [{ version: "v1.34.2" }, {}]) {
            const d = run(drain, node);
            assert.equal(d.status, 0, d.out);
            assert.deepEqual(mutating(d.calls), [], JSON.stringify(node));
            const u = run(uncordon, node);
            assert.equal(u.status, 0, u.out);
            assert.deepEqual(mutating(u.calls), [], JSON.stringify(node));
        }
        assert.match(run(drain, {}).out, /not registered yet: nothing to drain/);
    });

    it("a node someone else cordoned is drained but stays cordoned afterwards", () => {
        const d = run(drain, { version: "v1.33.13", unschedulable: true });
        assert.equal(d.status, 0, d.out);
        assert.deepEqual(mutating(d.calls), ["kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=30s"]);
        assert.match(d.out, /cordoned by someone else/);
        const u = run(uncordon, { version: "v1.34.2", unschedulable: true });
        assert.equal(u.status, 0, u.out);
        assert.deepEqual(mutating(u.calls), []);
        assert.equal(u.unschedulable, true);
    });

    it("a failed drain fails the step with the reason and leaves the node cordoned (a re-run drains again)", () => {
        const d = run(drain, { version: "v1.33.13", flags: ["drain-fails"] });
        assert.equal(d.status, 1);
        assert.match(d.out, /declare no controller[\s\S]*drain failed \(see above\): the node stays cordoned and its kubelet unchanged/);
        assert.equal(d.unschedulable, true);
        assert.equal(d.annotation, "v1.34.2");
        // Re-run on the cordoned node: ours (the annotation), so no second cordon, and it drains.
        const again = run(drain, { version: "v1.33.13", unschedulable: true, annotation: "v1.34.2" });
        assert.equal(again.status, 0, again.out);
        assert.deepEqual(mutating(again.calls), ["kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=30s"]);
        assert.doesNotMatch(again.out, /someone else/);
    });

    it("uncordon waits for the release and Ready: a kubelet still old, or NotReady, fails it and the node stays cordoned", () => {
        for (const node of [
            { version: "v1.33.13", unschedulable: true, annotation: "v1.34.2" },
            { version: "v1.34.2", ready: "False", unschedulable: true, annotation: "v1.34.2" },
        ]) {
            const u = run(uncordon, node);
            assert.equal(u.status, 1, u.out);
            assert.match(u.out, /node w1's kubelet at v1\.34\.2 and Ready: not ready within 1s/);
            assert.equal(u.unschedulable, true);
        }
    });

    it("waits for a leading controller-manager and scheduler before cordoning: with stale leases it cordons nothing and fails, saying so", () => {
        const stale = renderDrainForKubelet("w1", "1.34.2", "cp1", { proxyPort: PROXY_PORT, leaderTimeoutSeconds: 1 });
        const d = run(stale, { version: "v1.33.13", flags: ["stale-leases"] });
        assert.equal(d.status, 1, d.out);
        assert.match(d.out, /a leading controller-manager and scheduler \(leases renewed from now on\): not ready within 1s/);
        assert.deepEqual(mutating(d.calls), []);
        assert.equal(d.unschedulable, false);
    });

    it("an unreachable apiserver fails the drain, saying so", () => {
        const d = run(drain, { version: "v1.33.13", flags: ["apiserver-down"] });
        assert.equal(d.status, 1);
        assert.match(d.out, /node w1: cannot reach the apiserver from .*: The connection to the server \[::1\]:7445 was refused/);
    });
});
