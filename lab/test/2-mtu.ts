import { strict as assert } from "assert";
import { FULL_PAYLOAD, POD_MTU, fragmentsCreated } from "../checks/mtu";
import { ping, reaches } from "../probes";
import { lab, testPods } from "../session";

describe(`2. full-size packets (ping -M do at the pod MTU ${POD_MTU}) cross the mesh`, () => {
    it(`a ${POD_MTU}-byte packet (ping -M do -s ${FULL_PAYLOAD}) crosses between the pods of every pair of hosts, never fragmented`, async () => {
        const pods = testPods();
        const namespaces = lab().hosts.map((h) => h.ns);
        const before = await Promise.all(namespaces.map(fragmentsCreated));
        const failed: string[] = [];
        for (const a of pods) {
            for (const b of pods.filter((p) => p !== a)) {
                if (!(await reaches({ ns: a.ns }, b.ula, 5_000, { size: FULL_PAYLOAD, dontFragment: true })))
                    failed.push(`${a.host} -> ${b.host}`);
            }
        }
        assert.deepEqual(failed, [], `full-size packets lost between pods: ${failed.join(", ")}`);
        const after = await Promise.all(namespaces.map(fragmentsCreated));
        assert.deepEqual(
            after,
            before,
            `hosts fragmented packets (Ip6FragCreates ${before.join(",")} -> ${after.join(",")}): the WireGuard packets did not fit the uplink`,
        );
    });

    it("host to host over wg0 at the same size", async () => {
        const [a, b] = lab().hosts;
        assert.ok(
            await reaches({ ns: a.ns }, b.wireguardAddress, 5_000, { size: FULL_PAYLOAD, dontFragment: true }),
            `${a.name} -> ${b.name} over wg0 lost a ${POD_MTU}-byte packet`,
        );
    });

    it(`one byte more is refused cleanly at the pod: "message too long, mtu: ${POD_MTU}", not lost on the way`, async () => {
        const [a, b] = testPods();
        const r = await ping({ ns: a.ns }, b.ula, { size: FULL_PAYLOAD + 1, dontFragment: true });
        assert.notEqual(r.code, 0, "an oversized packet with don't-fragment was delivered");
        assert.match(
            r.stderr + r.stdout,
            new RegExp(`message too long, mtu[=:] ?${POD_MTU}`),
            `expected a local "message too long" error, got:\n${r.stdout}${r.stderr}`,
        );
        assert.match(r.stdout, /0 received, \+1 errors/, "the oversized packet should be an error at the sender, not a loss");
    });
});
