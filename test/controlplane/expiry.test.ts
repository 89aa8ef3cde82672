import { strict as assert } from "assert";
import {
    IssuedExpiry,
    earliestExpiryByNode,
    earlyRenewalHours,
    insideRenewalWindow,
    renewalWarnings,
} from "../../components/controlplane/pki/expiry";

const NOW = new Date("2027-06-01T00:00:00Z");
const cert = (id: string, holders: string[], validityEndTime: string): IssuedExpiry => ({ id, holders, validityEndTime });

describe("certificate expiry (pure)", () => {
    it("the early-renewal window is the last tenth of a certificate's life, in whole hours", () => {
        for (const [validity, window] of [
            [8760, 876],
            [24, 2],
            [25, 2],
            [43800, 4380],
        ]) {
            assert.equal(earlyRenewalHours(validity), window, `${validity} h`);
        }
    });

    describe("earliest expiry per node", () => {
        const cases: { name: string; certs: IssuedExpiry[]; want: Record<string, string> }[] = [
            { name: "no certificates", certs: [], want: {} },
            {
                name: "the earliest of a node's certificates, whatever their order",
                certs: [
                    cert("cp1-apiserver", ["cp1"], "2027-11-01T00:00:00Z"),
                    cert("cp1-etcd-peer", ["cp1"], "2027-10-01T12:00:00Z"),
                    cert("cp1-kubelet-client", ["cp1"], "2027-10-02T00:00:00Z"),
                ],
                want: { cp1: "2027-10-01T12:00:00Z" },
            },
            {
                name: "each node only its own; nodes sorted by name",
                certs: [cert("w1-kubelet-client", ["w1"], "2027-09-01T00:00:00Z"), cert("cp1-apiserver", ["cp1"], "2027-12-01T00:00:00Z")],
                want: { cp1: "2027-12-01T00:00:00Z", w1: "2027-09-01T00:00:00Z" },
            },
            {
                name: "a certificate held by no host (admin) counts for no node",
                certs: [cert("admin", [], "2027-06-02T00:00:00Z"), cert("w1-kubelet-client", ["w1"], "2027-09-01T00:00:00Z")],
                want: { w1: "2027-09-01T00:00:00Z" },
            },
            {
                name: "compared as times, not strings (offsets and fractions)",
                certs: [cert("a", ["n"], "2027-09-01T01:00:00+02:00"), cert("b", ["n"], "2027-08-31T23:30:00.5Z")],
                want: { n: "2027-09-01T01:00:00+02:00" },
            },
        ];
        for (const c of cases) it(c.name, () => assert.deepEqual(earliestExpiryByNode(c.certs), c.want));

        it("refuses a time that does not parse, naming the certificate", () => {
            assert.throws(
                () => earliestExpiryByNode([cert("w1-kubelet-client", ["w1"], "soon")]),
                (e: Error) => e instanceof RangeError && /certificate w1-kubelet-client validityEndTime: "soon"/.test(e.message),
            );
        });
    });

    describe("inside the renewal window", () => {
        const cases: [string, string, boolean][] = [
            ["a year away", "2028-06-01T00:00:00Z", false],
            ["one hour more than the window", "2027-07-07T13:00:00Z", false],
            ["exactly the window away", "2027-07-07T12:00:00Z", true],
            ["a day away", "2027-06-02T00:00:00Z", true],
            ["already expired", "2027-05-01T00:00:00Z", true],
        ];
        for (const [name, end, inside] of cases) {
            it(`${name}: ${inside ? "inside" : "outside"}`, () => assert.equal(insideRenewalWindow(end, NOW, 876), inside));
        }
    });

    it("warns once per node inside its window, naming the node and the expiry, and for the admin certificate", () => {
        const warnings = renewalWarnings(
            [
                cert("cp1-apiserver", ["cp1"], "2028-05-01T00:00:00Z"),
                cert("w1-kubelet-client", ["w1"], "2027-06-10T00:00:00Z"),
                cert("w1-kubelet-serving", ["w1"], "2027-06-20T00:00:00Z"),
                cert("admin", [], "2027-06-05T00:00:00Z"),
            ],
            NOW,
            876,
        );
        assert.equal(warnings.length, 2);
        assert.match(
            warnings[0],
            /^node w1: a certificate expires at 2027-06-10T00:00:00Z, inside its 876 h renewal window; run `pulumi up`/,
        );
        assert.match(warnings[1], /^certificate admin expires at 2027-06-05T00:00:00Z/);
        assert.deepEqual(renewalWarnings([cert("cp1-apiserver", ["cp1"], "2028-05-01T00:00:00Z")], NOW, 876), []);
    });
});
