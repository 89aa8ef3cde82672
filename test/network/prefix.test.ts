import { strict as assert } from "assert";
import { Prefix, formatV6, parseV6Address } from "../../components/network/prefix";

describe("Prefix", () => {
    const parses: [string, string][] = [
        ["fd8a:31c2:7c1f:1::/64", "fd8a:31c2:7c1f:1::/64"],
        ["FD8A:31C2:7C1F:0001:0000::/64", "fd8a:31c2:7c1f:1::/64"],
        ["2001:db8:0:0:1:0:0:0/80", "2001:db8:0:0:1::/80"],
        ["2001:db8:0:0:1::1/128", "2001:db8::1:0:0:1/128"],
        ["::/0", "::/0"],
        ["2001:db8::1/128", "2001:db8::1/128"],
    ];
    for (const [input, expected] of parses) {
        it(`parses ${input} as ${expected} (RFC 5952)`, () => {
            assert.equal(Prefix.parse(input).toString(), expected);
        });
    }

    const rejects: [string, RegExp][] = [
        ["fd00::1/64", /host bits set \(did you mean fd00::\/64\?\)/],
        ["10.0.0.0/8", /IPv4 prefix/],
        ["fd00::", /not an IPv6 prefix/],
        ["fd00::/129", /not an IPv6 prefix/],
        ["fd00:::/64", /not an IPv6 prefix/],
    ];
    for (const [input, message] of rejects) {
        it(`rejects ${input}`, () => {
            assert.throws(
                () => Prefix.parse(input),
                (e: Error) => e instanceof RangeError && message.test(e.message),
            );
        });
    }

    it("cuts numbered subnets and refuses indexes outside the parent", () => {
        const p = Prefix.parse("fd00:1:2:3::/64");
        assert.equal(p.subnet(80, 0).toString(), "fd00:1:2:3::/80");
        assert.equal(p.subnet(80, 0xffff).toString(), "fd00:1:2:3:ffff::/80");
        assert.equal(p.subnet(80, 7).subnet(96, 0x64).toString(), "fd00:1:2:3:7:64::/96");
        assert.throws(() => p.subnet(80, 0x10000), RangeError);
        assert.throws(() => p.subnet(80, -1), RangeError);
        assert.throws(() => p.subnet(48, 0), RangeError);
    });

    it("computes containment and overlap both ways", () => {
        const a = Prefix.parse("2001:db8::/56");
        const b = Prefix.parse("2001:db8:0:ff::/64");
        const c = Prefix.parse("2001:db8:0:100::/64");
        assert.ok(a.contains(b) && !b.contains(a));
        assert.ok(a.overlaps(b) && b.overlaps(a));
        assert.ok(!a.overlaps(c) && !c.overlaps(a));
        assert.equal(a.last, parseV6Address("2001:db8:0:ff:ffff:ffff:ffff:ffff"));
    });

    it("addresses offsets inside the prefix only", () => {
        const p = Prefix.parse("2001:db8::/126");
        assert.equal(formatV6(p.address(3)), "2001:db8::3");
        assert.throws(() => p.address(4), RangeError);
    });

    it("round-trips addresses through BigInt", () => {
        for (const text of ["::", "::1", "fd8a:31c2:7c1f:1:1:64:cb00:710a", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]) {
            assert.equal(formatV6(parseV6Address(text)), text);
        }
    });
});
