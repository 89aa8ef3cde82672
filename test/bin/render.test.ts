import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBin, runMain } from "../support/cli";
import { readGolden } from "../support/golden";

describe("npm run render", () => {
    it("writes each host's files under <out>/<node>/<absolute path>, identical to the goldens", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-render-"));
        const r = runMain("render.ts", ["--config", "Pulumi.prod.yaml", "--out", out]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(fs.readdirSync(out).sort(), ["cp1", "cp2", "cp3", "w1", "w2", "w3"]);
        const conflist = path.join(out, "cp1", "etc", "cni", "net.d", "10-cluster.conflist");
        assert.equal(fs.readFileSync(conflist, "utf8"), readGolden("hosts/cp1/etc/cni/net.d/10-cluster.conflist"));
        assert.equal((fs.statSync(path.join(out, "cp1/usr/local/lib/v6k8s/network-up.sh")).mode & 0o777).toString(8), "755");
        assert.equal((fs.statSync(path.join(out, "cp1/etc/wireguard/wg0.conf")).mode & 0o777).toString(8), "600");
        const commands = fs.readFileSync(path.join(out, "w2", "COMMANDS"), "utf8");
        assert.match(commands, /## 2\. activate:\n[\s\S]*network-up\.sh/);
        // The pki step: its fixed command in full, its stdin (the keys) only as a marker.
        assert.match(commands, /# {3}preflight [^\n]*\n#!\/bin\/bash\n# Rendered by v6k8s\. Version-skew preflight/);
        assert.match(commands, /# {3}pki: [^\n]*<stdin:certificates-and-keys:w2>[\s\S]*\nset -eu\numask 077\n/);
        assert.doesNotMatch(commands, /PRIVATE KEY/);
        // A host without IPv4 lists the step that undoes a gateway it may have been; the gateway does not.
        assert.match(commands, /## 8\. NAT64 cleanup [^\n]*\n[^\n]*\n[\s\S]*\nown nat64 <\/dev\/null\nif ip link show nat64 /);
        assert.doesNotMatch(fs.readFileSync(path.join(out, "cp1", "COMMANDS"), "utf8"), /NAT64 cleanup/);
        assert.match(fs.readFileSync(path.join(out, "w2/etc/cni/net.d/10-cluster.conflist"), "utf8"), /<hcloud-gua:w2>/);
        // Every step's files: Kubernetes everywhere, the NAT64 gateway on the IPv4 host, resolv.conf.
        for (const f of [
            "cp1/etc/kubernetes/manifests/etcd.yaml",
            "cp1/etc/v6k8s/tayga.conf",
            "cp1/etc/resolv.conf",
            "w2/var/lib/kubelet/config.yaml",
        ]) {
            assert.ok(fs.existsSync(path.join(out, f)), `${f} is rendered`);
        }
        assert.ok(!fs.existsSync(path.join(out, "w1/etc/kubernetes/manifests/etcd.yaml")), "no etcd on a worker");
        assert.ok(!fs.existsSync(path.join(out, "cp2/etc/v6k8s/tayga.conf")), "no NAT64 without IPv4");
    });

    it("exits 2 without --out, and on a bad config", () => {
        assert.equal(runMain("render.ts", ["--config", "Pulumi.prod.yaml"]).status, 2);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-render-"));
        const bad = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(bad, "config:\n  v6k8s:nodes: []\n");
        // A real process: exit 2 and the message on stderr as `npm run render` gives them.
        const r = runBin("render.ts", ["--config", bad, "--out", dir]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /cluster: is required/);
    });
});
