// The lab stack under Pulumi mocks: the commands `pulumi up --stack lab` sends each host are what
// the renderers make for it (renderStack, kubernetesStepCommands: what the cluster lab's checks
// compare the hosts with and re-send over SSH). Only the certificates' hash differs (made from the
// certificates the run issues) and the WireGuard keys (made on the hosts), which both sides take
// from the same place here: the key steps' stdout.
import { strict as assert } from "assert";
import { APISERVER_PORT } from "../../components/common/ports";
import * as fs from "fs";
import { parse } from "yaml";
import { projectKeys, readStackFile } from "../../components/config/stackFile";
import { APISERVER_PROXY_PORT } from "../../components/controlplane/render/defaults";
import { controlPlaneNodeRoles } from "../../components/controlplane/facts";
import { waitControlPlaneCommand } from "../../components/controlplane/steps";
import { renderStack } from "../../components/offline";
import { STEPS, kubernetesStepCommands } from "../../lab/cluster/steps";
import { CLUSTER_STACK } from "../../lab/config";
import { PROJECT, RecordedResource, defaultOutputs } from "../support/pulumiMocks";
import { decodeInstalledFiles, withoutCertificatesHash } from "../support/decodeFiles";
import { sharedRun } from "../support/sharedRuns";
import { unwrapSecret as unwrap } from "../support/recorded";

describe("the lab stack under Pulumi mocks: the commands are the renderers' (what the cluster lab compares hosts with)", function () {
    this.timeout(180_000);
    let resources: readonly RecordedResource[];
    const config = readStackFile(CLUSTER_STACK);

    before(async () => {
        const raw = projectKeys(parse(fs.readFileSync(CLUSTER_STACK, "utf8")).config, PROJECT);
        resources = (await sharedRun(raw)).resources;
    });

    const create = (name: string): string => {
        const r = resources.find((x) => x.name === name && x.type === "command:remote:Command");
        assert.ok(
            r,
            `no command ${name} (commands: ${resources
                .filter((x) => x.type === "command:remote:Command")
                .map((x) => x.name)
                .join(", ")})`,
        );
        return String(unwrap(r.inputs.create));
    };

    it("every host's network, mesh and Kubernetes steps, and the cluster-wide wait, are the lab's commands", () => {
        const publicKeys = Object.fromEntries(
            config.nodes.map((n) => {
                const key = resources.find((r) => r.name === `node-${n.name}-wireguard-key`)!;
                return [n.name, String(defaultOutputs(key).stdout).trim()];
            }),
        );
        const rendered = renderStack(config, { publicKeys });
        let compared = 0;
        for (const [i, node] of config.nodes.entries()) {
            const r = rendered[i];
            const network = { files: r.commands.files, activate: r.commands.activate, "wireguard-key": r.commands.wireguardKey };
            for (const [step, text] of Object.entries(network)) {
                assert.equal(create(`node-${node.name}-${step}`), text, `${node.name} ${step}`);
                compared++;
            }
            assert.equal(create(`mesh-${node.name}`), r.commands.mesh, `${node.name} mesh`);
            const lab = kubernetesStepCommands(r);
            for (const step of STEPS) {
                const sent = create(`k8s-${node.name}-${step}`);
                if (step === "files") {
                    // Base64 in transit: compare what lands on the host, path by path, mode and content.
                    const files = (text: string) =>
                        [...decodeInstalledFiles(text)].map(([p, f]) => [p, f.mode, withoutCertificatesHash(f.content)]);
                    assert.deepEqual(files(sent), files(lab.files), `${node.name} files`);
                    assert.ok(files(sent).length > 10, `${node.name}: only ${files(sent).length} files decoded`);
                } else assert.equal(sent, lab[step], `${node.name} ${step}`);
                compared++;
            }
        }
        assert.equal(
            create("k8s-control-plane-ready"),
            waitControlPlaneCommand(APISERVER_PROXY_PORT, controlPlaneNodeRoles(config), APISERVER_PORT),
        );
        assert.equal(compared, config.nodes.length * (3 + STEPS.length));
    });

    it("every connection is root over SSH to the node's public address, pinning the stack's host key", () => {
        const gua = (name: string) => config.nodes.find((n) => n.name === name)!;
        for (const r of resources.filter((x) => x.type === "command:remote:Command")) {
            const c = unwrap(r.inputs.connection) as Record<string, unknown>;
            const node = config.nodes.find((n) =>
                String(unwrap(c.host)).startsWith(String(n.kind === "dedicated" ? n.gua : "").replace(/::\/64$/, ":")),
            );
            assert.ok(node, `${r.name}: connection to ${String(unwrap(c.host))} is not a lab node`);
            assert.equal(unwrap(c.user), "root");
            assert.equal(
                unwrap(c.hostKey),
                gua(node.name).kind === "dedicated" ? (gua(node.name) as { hostKey?: string }).hostKey : undefined,
                `${r.name}: host key`,
            );
        }
    });
});
