// Cluster check 7: every host, read over SSH, is what the program renders (`npm run render`:
// renderStack with the WireGuard keys and certificates the engine's run made), reached only
// through its sshd with its host key pinned. (A second pass of every step: check 4.)
import { strict as assert } from "assert";
import { allFacts, everyFile, renderDrift, unitFacts } from "../hostFacts";
import { cluster, labState } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { readStackFile } from "../../../components/config/stackFile";
import { INET6_NS } from "../../config";
import { inNs } from "../../netns";
import { run } from "../../run";

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
        const facts = await allFacts(cluster().steps);
        const drift = cluster().steps.flatMap((s) => renderDrift(everyFile(s), facts.get(s.host.name)!).map((d) => `${s.host.name} ${d}`));
        assert.deepEqual(drift, []);
        assert.ok(
            cluster().steps.every((s) => everyFile(s).size > 20),
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
});
