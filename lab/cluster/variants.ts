// The day-2 stack edits of checks 7c and 7d (and bench:lab:day2): Pulumi.lab.yaml plus one node,
// written as a stack file of its own. A new node's hostKey is its machine's once it has one (a
// placeholder before: the lab writes the new machine's key into the file it applies).
import { Scalar, YAMLMap, YAMLSeq } from "yaml";
import { stackVariant } from "./labApply";
import { labState } from "./session";
import { hostKeyOf } from "./ssh";

export interface ExtraNode {
    readonly name: string;
    readonly index: number;
    readonly roles: readonly string[];
    readonly gua: string;
    readonly joinEtcd?: boolean;
    /** Also a host of the `hello` public service (not while leaving: a leaving node may host none). */
    readonly helloHost?: boolean;
}

/** A worker that also carries the public service (check 7c). */
export const W2: ExtraNode = { name: "w2", index: 12, roles: ["worker"], gua: "2001:db8:1:c::/64", helloHost: true };
/** A control-plane node joining the running etcd (check 7d). */
export const CP4: ExtraNode = { name: "cp4", index: 4, roles: ["control-plane"], gua: "2001:db8:1:4::/64", joinEtcd: true };

/** The lab stack plus `node` (`leaving: true` when asked), as stack file `name`. */
export async function withNode(name: string, node: ExtraNode, leaving: boolean): Promise<string> {
    const machine = labState().hosts.find((h) => h.name === node.name);
    const hostKey = machine ? await hostKeyOf(machine) : undefined;
    return stackVariant(name, (doc, key) => {
        const nodes = doc.getIn(["config", key("nodes")]) as YAMLSeq<YAMLMap>;
        nodes.add(
            doc.createNode({
                name: node.name,
                index: node.index,
                kind: "dedicated",
                roles: [...node.roles],
                ...(node.joinEtcd ? { joinEtcd: true } : {}),
                gua: node.gua,
                hostKey: hostKey ?? String((nodes.items[0] as YAMLMap).get("hostKey")),
                ...(leaving ? { leaving: true } : {}),
            }),
        );
        if (leaving || !node.helloHost) return;
        const services = doc.getIn(["config", key("services")]) as YAMLSeq<YAMLMap>;
        const hello = services.items.find((s) => String(s.get("name")) === "hello")!;
        (hello.get("hosts") as YAMLSeq<Scalar>).add(doc.createNode(node.name));
    });
}
