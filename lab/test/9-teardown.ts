import { strict as assert } from "assert";
import * as fs from "fs";
import { STATE_DIR } from "../config";
import { otherNamespaces, ourNetns } from "../netns";
import { PidRecord, isRunning, records } from "../processes";
import { lab, otherNamespacesBefore, setSession } from "../session";
import { diffSnapshots, rootSnapshot, rootSnapshotBefore } from "../snapshot";
import { down } from "../teardown";

describe("teardown", () => {
    it("stops every recorded process by PID, deletes only the lab's namespaces and leaves the root namespace as it was", () => {
        const mountPoints = lab().mountPoints;
        const recorded: PidRecord[] = records();
        assert.ok(recorded.length > 0, "no process was recorded");
        const report = down();
        setSession(undefined);
        assert.equal(report.unrecorded, 0, "processes ran in lab namespaces without a PID record");
        assert.deepEqual(
            recorded.filter(isRunning).map((r) => `${r.name} (${r.pid})`),
            [],
            "recorded processes still run",
        );
        assert.deepEqual(ourNetns(), []);
        const others = otherNamespaces();
        assert.deepEqual(
            otherNamespacesBefore().filter((n) => !others.includes(n)),
            [],
            "a namespace that is not the lab's is gone",
        );
        assert.ok(!fs.existsSync(STATE_DIR), `${STATE_DIR} is still there`);
        assert.deepEqual(
            mountPoints.filter((d) => fs.existsSync(d)),
            [],
            "mount-point directories the lab created are still there",
        );
        const changes = diffSnapshots(rootSnapshotBefore(), rootSnapshot());
        if (changes.length > 0) assert.fail(`the root namespace changed (- before, + after):\n  ${changes.join("\n  ")}`);
    });
});
