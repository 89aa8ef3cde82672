// Cluster check: the teardown leaves nothing behind: no namespace, no process (containers
// included), no cgroup, no mount, no containerd state, and the root namespace as it was.
import { strict as assert } from "assert";
import * as fs from "fs";
import { STATE_DIR } from "../../config";
import { ourNetns } from "../../netns";
import { isRunning, records } from "../../processes";
import { diffSnapshots, rootSnapshot, rootSnapshotBefore } from "../../snapshot";
import { down } from "../../teardown";
import { LAB_CGROUPS, cgroupDirs, cgroupPids } from "../machine";
import { labState, setCluster } from "../session";

describe("cluster teardown", () => {
    it("stops every process by PID (containers too), removes namespaces, cgroups, mounts and all host state", () => {
        const hosts = labState().hosts.map((h) => h.name);
        const mountPoints = labState().mountPoints;
        const recorded = records();
        assert.ok(
            recorded.some((r) => r.name.endsWith("-kubelet")),
            "no kubelet was recorded",
        );
        down();
        setCluster(undefined);
        assert.deepEqual(
            recorded.filter(isRunning).map((r) => `${r.name} (${r.pid})`),
            [],
            "recorded processes still run",
        );
        assert.deepEqual(cgroupPids(LAB_CGROUPS), [], "processes are left in the kubelets' cgroups");
        assert.deepEqual(hosts.flatMap(cgroupDirs), [], "cgroups are left");
        assert.deepEqual(ourNetns(), []);
        const mounts = fs
            .readFileSync("/proc/self/mountinfo", "utf8")
            .split("\n")
            .filter((l) => l.includes(STATE_DIR));
        assert.deepEqual(mounts, [], "mounts of the lab's state are left");
        assert.ok(!fs.existsSync(STATE_DIR), `${STATE_DIR} (every host's disk, containerd state included) is still there`);
        assert.deepEqual(
            mountPoints.filter((d) => fs.existsSync(d)),
            [],
            "mount-point directories the lab created are still there",
        );
        const changes = diffSnapshots(rootSnapshotBefore(), rootSnapshot());
        if (changes.length > 0) assert.fail(`the root namespace changed (- before, + after):\n  ${changes.join("\n  ")}`);
    });
});
