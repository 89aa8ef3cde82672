// The certificate profiles, issued with real keys by OpenSSL and verified with OpenSSL.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CertProfile, PkiInput, certProfiles, trustedCas } from "../../components/controlplane/pki/profiles";
import { IssuedPki, issueWithOpenssl } from "../support/opensslPki";

export const PKI_FIXTURE: PkiInput = {
    nodes: [
        { name: "cp1", controlPlane: true, meshAddress: "fd8a:31c2:7c1f:1:1::1", publicAddress: "2001:db8:a:1::2" },
        { name: "cp2", controlPlane: true, meshAddress: "fd8a:31c2:7c1f:1:2::1", publicAddress: "2001:db8:a:2::2" },
        { name: "cp3", controlPlane: true, meshAddress: "fd8a:31c2:7c1f:1:3::1", publicAddress: "2001:db8:a:3::2" },
        { name: "w1", controlPlane: false, meshAddress: "fd8a:31c2:7c1f:1:b::1", publicAddress: "2001:db8:b:1::2" },
    ],
    apiserverServiceAddress: "fd8a:31c2:7c1f:1::1",
    clusterDomain: "cluster.local",
    apiserverExtraNames: ["api.example.org", "2001:db8:ffff::443"],
};

function verify(pki: IssuedPki, p: CertProfile, signer = p.signer, purpose?: string) {
    const args = ["verify", "-CAfile", pki.ca(signer).cert, ...(purpose ? ["-purpose", purpose] : []), pki.leaf(p.id).cert];
    return spawnSync("openssl", args, { encoding: "utf8" });
}

function text(file: string): string {
    return spawnSync("openssl", ["x509", "-noout", "-text", "-in", file], { encoding: "utf8" }).stdout;
}

/** OpenSSL prints IPv6 SANs fully expanded, upper case: IP Address:FD8A:31C2:7C1F:1:1:0:0:1 */
function opensslIp(ip: string): string {
    if (!ip.includes(":")) return ip;
    const [head, tail] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
    const full = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    return full.map((x) => x.replace(/^0+(?=.)/, "").toUpperCase()).join(":");
}

describe("PKI profiles, issued and verified with OpenSSL", function () {
    this.timeout(120000);
    const profiles = certProfiles(PKI_FIXTURE);
    let pki: IssuedPki;

    before(() => {
        pki = issueWithOpenssl(fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-pki-")), profiles);
    });

    it("has 8 certificates per control-plane node, 2 per node and an admin certificate", () => {
        assert.equal(profiles.length, 3 * 8 + 4 * 2 + 1);
        assert.equal(new Set(profiles.map((p) => p.id)).size, profiles.length);
    });

    it("every certificate chains to its own CA, and only to it", () => {
        for (const p of profiles) {
            const ok = verify(pki, p);
            assert.equal(ok.status, 0, `${p.id}: ${ok.stdout}${ok.stderr}`);
            const other = p.signer === "etcd" ? "cluster" : "etcd";
            assert.notEqual(verify(pki, p, other).status, 0, `${p.id} must not verify against the ${other} CA`);
        }
    });

    it("server certificates verify for TLS servers, client certificates for TLS clients, not the reverse", () => {
        for (const p of profiles) {
            const server = p.usages.includes("server_auth");
            const client = p.usages.includes("client_auth");
            assert.equal(verify(pki, p, p.signer, "sslserver").status === 0, server, `${p.id} as server`);
            assert.equal(verify(pki, p, p.signer, "sslclient").status === 0, client, `${p.id} as client`);
        }
    });

    it("the apiserver certificate names ::1, the kubernetes service, the node's ULA and GUA and the extra names", () => {
        const t = text(pki.leaf("cp2-apiserver").cert);
        for (const name of ["kubernetes.default.svc.cluster.local", "kubernetes", "localhost", "cp2", "api.example.org"]) {
            assert.ok(t.includes(`DNS:${name}`), `missing DNS:${name}`);
        }
        for (const ip of ["::1", "fd8a:31c2:7c1f:1::1", "fd8a:31c2:7c1f:1:2::1", "2001:db8:a:2::2", "2001:db8:ffff::443"]) {
            assert.ok(t.includes(`IP Address:${opensslIp(ip)}`), `missing IP ${ip} (${opensslIp(ip)})`);
        }
    });

    it("etcd peers are named by their mesh ULA; kubelets are system:node:<name> in system:nodes", () => {
        assert.ok(text(pki.leaf("cp3-etcd-peer").cert).includes(`IP Address:${opensslIp("fd8a:31c2:7c1f:1:3::1")}`));
        const kubelet = text(pki.leaf("w1-kubelet-client").cert);
        assert.match(kubelet, /Subject: O ?= ?system:nodes, CN ?= ?system:node:w1/);
        assert.match(text(pki.leaf("admin").cert), /Subject: O ?= ?system:masters/);
    });

    it("workers trust only the cluster CA; no profile sends a certificate to a host that is not its holder", () => {
        assert.deepEqual(trustedCas(PKI_FIXTURE.nodes[3]), ["cluster"]);
        for (const p of profiles) {
            for (const holder of p.holders) assert.ok(p.id.startsWith(`${holder}-`), `${p.id} goes to ${holder}`);
        }
        assert.deepEqual(
            profiles.filter((p) => p.holders.includes("w1")).map((p) => p.id),
            ["w1-kubelet-client", "w1-kubelet-serving"],
        );
    });
});
