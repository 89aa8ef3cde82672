import { strict as assert } from "assert";
import { nat64Address } from "../checks/addresses";
import { assertReachable, hostTarget, podTarget } from "../checks/reach";
import { DNS_POD, INET4_SERVER, WHOAMI_PORT } from "../config";
import { powerOff, powerOn } from "../fault";
import { reaches, tcpRequest } from "../probes";
import { waitMesh } from "../readiness";
import { gateway, ipv6OnlyHosts, lab, testPods } from "../session";
import type { LabHost } from "../state";

/** The host to take down: IPv6-only, not running the cluster DNS (the gateway and DNS stay up). */
function victim(): LabHost {
    const dnsHost = lab().pods.find((p) => p.name === DNS_POD)?.host;
    const candidates = ipv6OnlyHosts().filter((h) => h.name !== dnsHost);
    assert.ok(candidates.length > 0, "no host can be taken down without taking the gateway or DNS with it");
    return candidates[candidates.length - 1];
}

describe("6. fault: one host down, the others keep full connectivity; back up, it rejoins", () => {
    let down: LabHost;

    it("with one host powered off, every other pair of pods and hosts still talks (and the NAT64 path works)", async function () {
        this.timeout(120_000);
        down = victim();
        const oldPod = testPods().find((p) => p.host === down.name)!;
        powerOff(lab(), down);
        assert.ok(!(await reaches({ ns: testPods()[0].ns }, oldPod.ula, 2_000)), `${down.name}'s pod still answers after the power cut`);
        const pods = testPods();
        await assertReachable(
            lab(),
            pods,
            [
                ...pods.map(podTarget),
                ...lab()
                    .hosts.filter((h) => h !== down)
                    .map(hostTarget),
            ],
            `with ${down.name} down`,
        );
        const v6only = pods.find((p) => ipv6OnlyHosts().some((h) => h.name === p.host));
        if (v6only) {
            const r = await tcpRequest({ ns: v6only.ns }, nat64Address(gateway().nat64!, INET4_SERVER), WHOAMI_PORT, 5);
            assert.equal(r.reply, gateway().ipv4, `NAT64 from ${v6only.host} with ${down.name} down: ${r.reply ?? r.error}`);
        }
    });

    it("powered on, it boots what it enabled, rejoins the mesh, and every pair talks again", async function () {
        this.timeout(180_000);
        assert.ok(down, "the previous test did not take a host down");
        const units = await powerOn(lab(), down);
        assert.deepEqual(units.slice(0, 2), ["v6k8s-network.service", "wg-quick@wg0"], `boot ran ${units.join(", ")}`);
        await waitMesh(lab(), [down], 30_000);
        const pods = testPods();
        await assertReachable(
            lab(),
            pods,
            [...pods.map(podTarget), ...lab().hosts.map(hostTarget)],
            `after ${down.name} came back`,
            30_000,
        );
    });
});
