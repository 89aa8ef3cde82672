// A node may leave `nodes` only after a run with `leaving: true` (config/removals.ts), read from
// the previous run's `nodes` output.
import { strict as assert } from "assert";
import { removalProblems } from "../../components/config/removals";

const now = [{ name: "cp1" }, { name: "w1" }];

describe("removals: a node leaves `nodes` only after it left", () => {
    it("accepts a first run (no previous output), the same nodes, added nodes, and a node that was leaving", () => {
        for (const previous of [
            undefined,
            null,
            {},
            [],
            [{ name: "cp1" }],
            [{ name: "cp1" }, { name: "w1" }, { name: "w2", leaving: true }],
        ]) {
            assert.deepEqual(removalProblems(previous, now), [], JSON.stringify(previous));
        }
    });

    it("refuses each node that was dropped without leaving, naming it and the two-run way", () => {
        const lines = removalProblems(
            [{ name: "cp1" }, { name: "w2", leaving: false }, { name: "w3" }, { name: "w4", leaving: true }, "junk", { nope: 1 }],
            now,
        );
        assert.equal(lines.length, 2);
        assert.match(lines[0], /^nodes: node "w2" was removed without leaving first: put it back with `leaving: true` and run pulumi up/);
        assert.match(lines[1], /^nodes: node "w3" was removed without leaving first/);
        assert.match(lines[0], /Nothing was changed\.$/);
    });
});
