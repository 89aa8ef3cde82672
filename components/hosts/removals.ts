// The program refuses to drop a node from `nodes` that did not leave first (config/removals.ts),
// before anything changes: the previous run's `nodes` output is read through a reference to this
// very stack, and every host waits for the verdict (a resource that fails when a removal is
// refused), so neither a server nor a step changes; a preview fails the same way.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { removalProblems } from "../config/removals";

/** The previous run's stack outputs: this stack, by its fully qualified name. */
export function previousOutputs(): pulumi.StackReference {
    return new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
}

/**
 * Done once no node was dropped without leaving; fails (nothing waiting on it runs) otherwise.
 * A local command that runs nothing: its one input is the verdict.
 */
export function removalsChecked(nodes: readonly { readonly name: string }[], previous: pulumi.StackReference): command.local.Command {
    const verdict = previous.getOutput("nodes").apply((p) => {
        const problems = removalProblems(p, nodes);
        if (problems.length > 0) throw new pulumi.RunError(`refused:\n  - ${problems.join("\n  - ")}`);
        return "no node was dropped without leaving";
    });
    return new command.local.Command("removals-checked", { triggers: [verdict] });
}
