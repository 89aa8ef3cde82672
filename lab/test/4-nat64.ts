import { strict as assert } from "assert";
import { NAT64_UP_PATH } from "../../components/nat64/render/nat64Up";
import { nat64Address } from "../checks/addresses";
import { INET4_SERVER, WHOAMI_PORT } from "../config";
import { hostArgv, shOnHost } from "../machines";
import { ping, tcpRequest } from "../probes";
import { run } from "../run";
import { gateway, ipv6OnlyHosts, podOf } from "../session";

describe("4. NAT64: a pod on a host without IPv4 reaches the IPv4-only server through <gateway ula>:64::<ipv4>", () => {
    it("TCP from the pod of every IPv6-only host; the IPv4 server sees the gateway's IPv4 (masquerade)", async () => {
        const gw = gateway();
        const target = nat64Address(gw.nat64!, INET4_SERVER);
        const hosts = ipv6OnlyHosts();
        assert.ok(hosts.length > 0, "the lab has no host without IPv4");
        for (const h of hosts) {
            const r = await tcpRequest({ ns: podOf(h).ns }, target, WHOAMI_PORT, 5);
            assert.equal(
                r.reply,
                gw.ipv4,
                `pod on ${h.name} -> [${target}]:${WHOAMI_PORT}: got ${r.reply ?? `no connection (${r.error})`}, expected the server to see ${gw.ipv4}`,
            );
        }
    });

    it("ICMP is translated too (ping through the gateway)", async () => {
        const pod = podOf(ipv6OnlyHosts()[0]);
        const r = await ping({ ns: pod.ns }, nat64Address(gateway().nat64!, INET4_SERVER), { count: 2, waitSeconds: 2 });
        assert.equal(r.code, 0, `ping through NAT64 failed:\n${r.stdout}${r.stderr}`);
    });

    it("nat64-up.sh is idempotent: run twice more, one MASQUERADE rule and the same routes", async () => {
        const gw = gateway();
        const state = async () =>
            (
                await Promise.all([
                    run(hostArgv(gw, ["iptables", "-t", "nat", "-S", "POSTROUTING"])),
                    run(hostArgv(gw, ["ip", "-6", "route", "show", "dev", "nat64"])),
                    run(hostArgv(gw, ["ip", "-4", "route", "show", "dev", "nat64"])),
                ])
            )
                .map((r) => r.stdout)
                .join("\n");
        const before = await state();
        await shOnHost(gw, NAT64_UP_PATH);
        await shOnHost(gw, NAT64_UP_PATH);
        const after = await state();
        assert.equal(after, before, "re-running nat64-up.sh changed the gateway");
        assert.equal((after.match(/MASQUERADE/g) ?? []).length, 1, `expected exactly one MASQUERADE rule:\n${after}`);
    });
});
