import { strict as assert } from "assert";
import { readStackFile } from "../../components/config/stackFile";
import { renderStack } from "../../components/offline";
import { meshHost, nat64Host, prepareHost } from "../apply";
import { assertReachable, hostTarget, podTarget } from "../checks/reach";
import { wgPublicKey } from "../machines";
import { lab, testPods } from "../session";
import { diffSnapshots, hostSnapshot } from "../snapshot";

describe("7. idempotence: re-applying every host's bootstrap changes nothing", () => {
    it("files, activate, wireguard-key, mesh (and the NAT64 gateway) again: addresses, routes, rules and peers unchanged", async function () {
        this.timeout(180_000);
        const hosts = lab().hosts;
        const keys = await Promise.all(hosts.map(wgPublicKey));
        const rendered = renderStack(readStackFile(lab().stack), {
            publicKeys: Object.fromEntries(hosts.map((h, i) => [h.name, keys[i]])),
        });
        const before = await Promise.all(hosts.map(hostSnapshot));
        const again = await Promise.all(
            hosts.map(async (h, i) => {
                const key = await prepareHost(h, rendered[i]);
                await meshHost(h, rendered[i]);
                await nat64Host(h, "reapply");
                return key;
            }),
        );
        assert.deepEqual(again, keys, "wireguard-key.sh printed a different key the second time");
        const after = await Promise.all(hosts.map(hostSnapshot));
        const changes = hosts.flatMap((h, i) => diffSnapshots(before[i], after[i]).map((d) => `${h.name} ${d}`));
        if (changes.length > 0) assert.fail(`re-applying the bootstrap changed (- before, + after):\n  ${changes.join("\n  ")}`);
    });

    it("and the mesh still carries every pod pair after the re-apply", async () => {
        const pods = testPods();
        await assertReachable(
            lab(),
            pods,
            [...pods.map(podTarget), ...lab().hosts.map(hostTarget)],
            "after re-applying the bootstrap",
            10_000,
        );
    });
});
