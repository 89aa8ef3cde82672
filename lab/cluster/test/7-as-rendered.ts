// Cluster check 7: every host, read over SSH, is what the program renders (`npm run render`:
// renderStack with the lab's WireGuard keys and certificate hashes), and a second pass of every
// step over SSH (network, mesh, the NAT64 gateway's files, host DNS, Kubernetes: what `pulumi up`
// runs when every trigger changed) changes nothing.
import { strict as assert } from "assert";
import { gatewayHost, hostDnsStep, meshHost, prepareHost } from "../../apply";
import { bootstrapKubernetes } from "../bootstrap";
import { FileFact, fileFacts, renderDrift, unitFacts } from "../hostFacts";
import { cluster, labState } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { readStackFile } from "../../../components/config/stackFile";
import { INET6_NS } from "../../config";
import { inNs } from "../../netns";
import { run } from "../../run";
import { waitNodesReady } from "../up";

const everyFile = (i: number) => {
    const s = cluster().steps[i];
    return new Map([...s.rendered.files, ...s.rendered.gateway, ...s.rendered.dns, ...s.rendered.kubernetes, ...s.pkiFiles]);
};

async function allFacts(): Promise<Map<string, Map<string, FileFact | undefined>>> {
    const out = new Map<string, Map<string, FileFact | undefined>>();
    for (const [i, s] of cluster().steps.entries()) out.set(s.host.name, await fileFacts(s.host, [...everyFile(i).keys()]));
    return out;
}

describe("cluster 7. each host as rendered, reached over SSH", () => {
    it("the steps reached every host through its sshd, with the pinned host key (no other way in is used)", async () => {
        for (const h of labState().hosts) {
            const r = await sshOnHost(h, 'hostname; echo "$SSH_CONNECTION"');
            const [name, connection] = r.stdout.trim().split("\n");
            assert.equal(name, h.name, "the session ran on another machine");
            assert.equal(connection.split(" ")[2], h.publicAddress, `${h.name}: the session did not arrive on the public address`);
        }
    });

    it("Pulumi.lab.yaml pins each node's hostKey to the key its sshd presents (ssh-keyscan from the operator's namespace)", async () => {
        const stack = readStackFile(LAB_STACK_FILE);
        for (const h of labState().hosts) {
            const scan = await run(inNs(INET6_NS, ["ssh-keyscan", "-t", "ed25519", h.publicAddress]), { timeoutMs: 30_000 });
            const presented = scan.stdout.trim().split(" ").slice(1, 3).join(" ");
            const node = stack.nodes.find((n) => n.name === h.name)!;
            assert.equal(node.kind === "dedicated" ? node.hostKey : undefined, presented, `${h.name}: Pulumi.lab.yaml's hostKey`);
        }
    });

    it("every rendered file (network, mesh, NAT64 gateway, host DNS, Kubernetes) and every certificate and key is on its host, byte for byte, with its mode", async () => {
        const facts = await allFacts();
        const drift = cluster().steps.flatMap((s, i) =>
            renderDrift(everyFile(i), facts.get(s.host.name)!).map((d) => `${s.host.name} ${d}`),
        );
        assert.deepEqual(drift, []);
        assert.ok(
            cluster().steps.every((_, i) => everyFile(i).size > 20),
            "too few files compared",
        );
    });

    it("every service a step enabled runs (oneshots ran to completion; timers are not emulated)", () => {
        const notRunning = labState().hosts.flatMap((h) =>
            unitFacts(h)
                .filter((u) => u.state === "not running")
                .map((u) => `${h.name} ${u.unit}`),
        );
        assert.deepEqual(notRunning, []);
        for (const h of labState().hosts) {
            const running = unitFacts(h)
                .filter((u) => u.state === "running")
                .map((u) => u.unit);
            // The gateway's Tayga and DNS64 resolver, started by production's activate step.
            const expected = ["containerd.service", "kubelet.service", ...(h.ipv4 ? ["v6k8s-nat64.service", "v6k8s-dns64.service"] : [])];
            for (const u of expected)
                assert.ok(running.includes(u), `${h.name}: ${u} is not among its running services (${running.join(", ")})`);
        }
    });

    it("a second pass of every step over SSH changes nothing: same files (inode, mtime, content), same service processes, same WireGuard keys", async function () {
        this.timeout(20 * 60_000);
        const before = await allFacts();
        const unitsBefore = labState().hosts.map((h) => unitFacts(h));
        const c = cluster();
        await Promise.all(
            c.steps.map(async (s) => {
                const key = await prepareHost(s.host, s.rendered, sshOnHost);
                assert.equal(key, labState().publicKeys?.[s.host.name], `${s.host.name}: its WireGuard key changed`);
                await meshHost(s.host, s.rendered, sshOnHost);
                // Its files unchanged, the gateway's activate step (triggered by their hash) would not run.
                if (s.rendered.gateway.size > 0) await gatewayHost(s.host, s.rendered, sshOnHost, { activate: false });
                await sshOnHost(s.host, hostDnsStep(c.config));
            }),
        );
        await bootstrapKubernetes(c.steps, () => undefined);
        await waitNodesReady(labState(), c.config);
        const after = await allFacts();
        const changed: string[] = [];
        for (const [host, files] of before) {
            for (const [p, f] of files) if (JSON.stringify(after.get(host)!.get(p)) !== JSON.stringify(f)) changed.push(`${host} ${p}`);
        }
        assert.deepEqual(changed, [], "files rewritten by the second pass");
        assert.deepEqual(
            labState().hosts.map((h) => unitFacts(h)),
            unitsBefore,
            "a service was restarted",
        );
    });
});
