// One resource standing for many in dependency lists. When N steps each wait on the same N
// resources, N² dependency edges reach the engine (and its state); waiting on one barrier that
// waits on the N makes 2N, with the same order: the SDK registers a resource only once everything
// it depends on is done, so the barrier completes after all of `after` and its dependents start
// after it. A ComponentResource would not do: the SDK expands a component in `dependsOn` (or an
// input) into all of its children, edge for edge. A local command without `create` runs nothing,
// on create, update or delete.
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";

export function barrier(
    name: string,
    after: pulumi.Input<pulumi.Resource>[],
    opts: pulumi.CustomResourceOptions = {},
): command.local.Command {
    return new command.local.Command(name, {}, { ...opts, dependsOn: after });
}

/**
 * Carries `value` through one resource: whoever reads the result depends on that resource (which
 * depends on everything `value` came from), not on each of those. The value comes back as the
 * command's echoed `triggers`, known in a preview whenever `value` is (pulumi-command echoes its
 * inputs); a changed value replaces the command, which runs nothing.
 */
export function relay<T>(name: string, value: pulumi.Output<T>, opts: pulumi.CustomResourceOptions = {}): pulumi.Output<T> {
    const carrier = new command.local.Command(name, { triggers: [value] }, opts);
    return carrier.triggers.apply((t) => (t as [T])[0]);
}
