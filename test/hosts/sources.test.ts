import { strict as assert } from "assert";
import { firewallSources, openToEveryone } from "../../components/hosts/render/sources";

describe("firewall sources (cluster.sshPrefixes)", () => {
    const table: [string[], ("IPv6" | "IPv4")[], string[]][] = [
        // prefixes, the families open to everyone, what a rule filters on (none: anyone)
        [["::/0", "0.0.0.0/0"], ["IPv6", "IPv4"], []],
        [["0.0.0.0/0", "0:0::/0"], ["IPv6", "IPv4"], []],
        [["::/0"], ["IPv6"], ["::/0"]],
        [["::/0", "198.51.100.0/24"], ["IPv6"], ["::/0", "198.51.100.0/24"]],
        [["2001:db8:ad::/48", "0.0.0.0/0"], ["IPv4"], ["2001:db8:ad::/48", "0.0.0.0/0"]],
        [["2001:db8:ad::/48", "198.51.100.0/24"], [], ["2001:db8:ad::/48", "198.51.100.0/24"]],
        [["::/1", "128::/1"], [], ["::/1", "128::/1"]],
    ];
    for (const [prefixes, everyone, sources] of table) {
        it(`${prefixes.join(", ")}: open to everyone on ${everyone.join(" and ") || "neither family"}`, () => {
            assert.deepEqual(openToEveryone(prefixes), everyone);
            assert.deepEqual(firewallSources(prefixes), sources);
        });
    }
});
