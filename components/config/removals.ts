// A node may leave `nodes` only after a run with `leaving: true` on it (README, Day-2 "Remove a
// node"). `pulumi up` deletes what the program no longer declares last, after every other change
// of the run: a node simply dropped from `nodes` would leave every host's mesh first and be drained
// only afterwards, cut off (its pods unreachable meanwhile, PodDisruptionBudgets protecting
// nothing), and keep its keys. The previous run's `nodes` stack output says which nodes were
// there and which were leaving; this compares it with the config. Pure.
import { problem } from "./errors";

/** A node as the previous run's `nodes` output lists it. */
interface PreviousNode {
    readonly name: string;
    readonly leaving?: boolean;
}

function previousNodes(previous: unknown): PreviousNode[] {
    if (!Array.isArray(previous)) return [];
    return previous.filter((n): n is PreviousNode => typeof n === "object" && n !== null && typeof (n as PreviousNode).name === "string");
}

/** One line per node the previous run had, that `nodes` no longer lists, and that was not leaving. */
export function removalProblems(previous: unknown, nodes: readonly { readonly name: string }[]): string[] {
    const now = new Set(nodes.map((n) => n.name));
    return previousNodes(previous)
        .filter((n) => !now.has(n.name) && n.leaving !== true)
        .map((n) =>
            problem(
                ["nodes"],
                `node "${n.name}" was removed without leaving first: put it back with \`leaving: true\` and run pulumi up ` +
                    "(it is drained, a control-plane node's etcd member removed, Kubernetes stopped and its keys deleted, while it is " +
                    'still in the mesh), then remove it (README, Day-2 "Remove a node"). Nothing was changed.',
            ),
        );
}
