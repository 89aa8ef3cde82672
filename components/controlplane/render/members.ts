// The control-plane members as the renderers use them: validated once, sorted by name, addresses
// normalised. Sorting here (not trusting the caller's order) keeps every rendered file stable.
import { ClusterFacts, ControlPlaneMember, NodeFacts } from "./inputs";
import { v6 } from "../../common/net";

export function members(cluster: ClusterFacts): ControlPlaneMember[] {
    if (cluster.controlPlane.length === 0) {
        throw new RangeError("controlPlane: the cluster has no control-plane member");
    }
    const seen = new Map<string, string>();
    const out = cluster.controlPlane.map((m, i) => {
        const meshAddress = v6(m.meshAddress, `controlPlane[${i}] (${m.name}).meshAddress`);
        if (seen.has(m.name)) throw new RangeError(`controlPlane: ${m.name} is listed twice`);
        for (const [other, addr] of seen) {
            if (addr === meshAddress) throw new RangeError(`controlPlane: ${m.name} and ${other} share ${meshAddress}`);
        }
        seen.set(m.name, meshAddress);
        return m.joinOrder === undefined ? { name: m.name, meshAddress } : { name: m.name, meshAddress, joinOrder: m.joinOrder };
    });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The member entry of `node`; a node that is not a member (or disagrees on its address) is an error. */
export function selfMember(cluster: ClusterFacts, node: NodeFacts): ControlPlaneMember {
    const self = members(cluster).find((m) => m.name === node.name);
    if (!self || !node.controlPlane) {
        throw new RangeError(`node ${node.name} is not a control-plane member`);
    }
    const mesh = v6(node.meshAddress, `node ${node.name}.meshAddress`);
    if (mesh !== self.meshAddress) {
        throw new RangeError(`node ${node.name}: meshAddress ${mesh} differs from its control-plane entry ${self.meshAddress}`);
    }
    return self;
}
