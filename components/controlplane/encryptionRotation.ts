// The encryption key's rotation, in order: refused before any control-plane step runs when the
// writer would change to a key some apiserver cannot read yet, or the old writer would be dropped
// in the same run (config/encryptionKey.ts rotationProblems). The previous run's key names come
// from this stack's `encryptionKeys` output (hosts/removals.ts previousOutputs); the control
// plane waits for the verdict, so a refused run changes no apiserver. A preview fails the same way.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256 } from "../common/hash";
import { encryptionKeyName, parseEncryptionKeys, rotationProblems } from "../config/encryptionKey";
import { Host, hostStep } from "../hosts/host";
import { renderEncryptionRewrittenCheck } from "./render/encryptionRewritten";

/**
 * The key names (the writer first) of the `encryptionKey` secret: short hashes, not secret
 * (the stack output `encryptionKeys` and the previous run's comparison use them).
 */
export function encryptionKeyNames(encryptionKey: pulumi.Output<string>): pulumi.Output<string[]> {
    return pulumi.unsecret(
        encryptionKey.apply((text) => {
            const parsed = parseEncryptionKeys(text);
            // The config was validated before: a problem here is a bug, never the key's text.
            if ("problem" in parsed) throw new pulumi.RunError(`encryptionKey: ${parsed.problem}`);
            return parsed.keys.map(encryptionKeyName);
        }),
    );
}

/** Done once the rotation is in order; fails (nothing waiting on it runs) otherwise. A local command that runs nothing. */
export function encryptionRotationChecked(names: pulumi.Output<string[]>, previous: pulumi.StackReference): command.local.Command {
    const verdict = pulumi.all([previous.getOutput("encryptionKeys"), names]).apply(([before, now]) => {
        const problems = rotationProblems(before, now);
        if (problems.length > 0) throw new pulumi.RunError(`refused:\n  - ${problems.join("\n  - ")}`);
        return "the encryption keys change in a safe order";
    });
    return new command.local.Command("encryption-rotation-checked", { triggers: [verdict] });
}

/**
 * On `host` (the first control-plane node), before the control plane, whenever the keys change:
 * every Secret must be stored under one of this run's keys (render/encryptionRewritten.ts). A
 * refusal fails it, so nothing waiting runs; the next run tries again.
 */
export function encryptionRewrittenChecked(
    host: Host,
    names: pulumi.Output<string[]>,
    previous: pulumi.StackReference,
    after: readonly pulumi.Resource[],
    restore?: string,
): command.remote.Command {
    // The previous run's output only says whether there was one (a first run stores nothing yet).
    const script = pulumi
        .all([previous.getOutput("encryptionKeys"), names])
        .apply(([before, now]) => renderEncryptionRewrittenCheck(Array.isArray(before) && before.length > 0 ? now : null, restore));
    return new command.remote.Command("encryption-rewritten", hostStep(host, { create: script, triggers: [script.apply(sha256)] }), {
        dependsOn: [...host.ready, ...after],
    });
}
