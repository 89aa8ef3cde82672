import { strict as assert } from "assert";
import { validateStackConfig } from "../../components/config/load";
import { Prefix } from "../../components/network/prefix";
import { planStack } from "../../components/config/stackPlan";
import { nat64Files } from "../../components/nat64/render/files";
import { MASQUERADE_COMMENT, renderNat64Unit, renderNat64Up } from "../../components/nat64/render/nat64Up";
import { DEFAULT_NAT64_POOL, nat64Gateway, renderTaygaConf } from "../../components/nat64/render/tayga";
import { expectGolden } from "../support/golden";
import { fakeHostKey } from "../support/hostKeys";

// Self-contained so the golden files change only when the NAT64 rendering does.
const config = validateStackConfig({
    cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2" },
    nodes: [
        {
            name: "gw1",
            index: 1,
            kind: "dedicated",
            hostKey: fakeHostKey("gw1"),
            roles: ["control-plane", "worker"],
            gua: "2001:db8:10a:1f2e::/64",
            ipv4: "203.0.113.10",
        },
        { name: "w2", index: 2, kind: "dedicated", hostKey: fakeHostKey("w2"), roles: ["worker"], gua: "2001:db8:10b:2c41::/64" },
    ],
});
const plan = planStack(config).nodes;
const gateway = nat64Gateway(plan[0])!;
const labPool = { ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.0/24" };

describe("NAT64 rendering (Tayga)", () => {
    it("only IPv4 hosts are gateways, with <nodeula>:64::/96 from the address plan", () => {
        assert.deepEqual({ ...gateway, nat64: gateway.nat64.toString() }, { name: "gw1", nat64: "fd8a:31c2:7c1f:1:1:64::/96" });
        assert.equal(nat64Gateway(plan[1]), null);
    });

    it("renders tayga.conf (golden)", () => {
        expectGolden("nat64/gw1.tayga.conf", renderTaygaConf(gateway));
    });

    it("renders the lab's TEST-NET pool when asked (golden)", () => {
        expectGolden("nat64/gw1.lab.tayga.conf", renderTaygaConf(gateway, labPool));
    });

    it("renders nat64-up.sh (golden) and the unit (golden)", () => {
        expectGolden("nat64/gw1.nat64-up.sh", renderNat64Up(gateway));
        expectGolden("nat64/v6k8s-nat64.service", renderNat64Unit());
    });

    it("nat64-up.sh guards every step that would not converge on a second run", () => {
        const script = renderNat64Up(gateway);
        assert.match(script, /ip link show nat64 >\/dev\/null 2>&1 \|\| tayga --mktun/);
        assert.match(script, /ip -6 route replace fd8a:31c2:7c1f:1:1:64::\/96 dev nat64/);
        assert.match(script, /ip -4 route replace 192\.168\.255\.0\/24 dev nat64/);
        assert.ok(
            script.includes(
                `iptables -t nat -C POSTROUTING -s 192.168.255.0/24 -o "$uplink" -m comment --comment "${MASQUERADE_COMMENT}" -j MASQUERADE 2>/dev/null || iptables -t nat -A`,
            ),
        );
        assert.doesNotMatch(script, / add /, "no `ip ... add` that fails when the object exists");
    });

    it("the file set has the config, the script (executable) and the unit", () => {
        const files = nat64Files(gateway);
        assert.deepEqual([...files.keys()].sort(), [
            "/etc/systemd/system/v6k8s-nat64.service",
            "/etc/v6k8s/tayga.conf",
            "/usr/local/lib/v6k8s/nat64-up.sh",
        ]);
        assert.equal(files.get("/usr/local/lib/v6k8s/nat64-up.sh")?.mode, "0755");
    });

    it("rejects a prefix that is not a /96 and a pool that does not hold Tayga's address", () => {
        assert.throws(() => renderTaygaConf({ name: "x", nat64: Prefix.parse("fd8a:31c2:7c1f:1:1::/80") }), /must be a \/96/);
        assert.throws(() => renderTaygaConf(gateway, { ...DEFAULT_NAT64_POOL, ipv4Address: "10.0.0.1" }), /outside the dynamic pool/);
        assert.throws(() => renderTaygaConf(gateway, { ...DEFAULT_NAT64_POOL, dynamicPool: "fd00::/64" }), /IPv4 prefix/);
        assert.throws(() => renderTaygaConf(gateway, { ...DEFAULT_NAT64_POOL, dynamicPool: "nonsense" }), /not an IPv4 prefix/);
    });
});
