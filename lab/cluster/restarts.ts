// Which of the cluster's containers a change restarted: the checks that must leave running
// containers alone (a re-run of every step, check 4; a node joining, check 7c) take the pods'
// container IDs and restart counts before and compare them after.
import { PodList, containerStates } from "./checks";
import { kubectl, kubectlJson } from "./operator";
import { operator } from "./session";

/** Every pod's containers: `<namespace>/<pod>/<container>` -> container ID and restart count. */
export async function containers(): Promise<Map<string, string>> {
    return containerStates((await kubectlJson<PodList>(operator(), ["get", "pods", "-A"])).items);
}

/**
 * The controller-manager and the scheduler exit by design when they cannot renew their leader
 * lease in time, which happens on a 2-core machine running three control planes under load; the
 * kubelet then starts them again. Such a restart is not the change's doing: it is told apart by
 * the previous container's own last words.
 */
async function lostItsLease(key: string): Promise<boolean> {
    const [ns, pod, container] = key.split("/");
    const r = await kubectl(operator(), ["-n", ns, "logs", pod, "-c", container, "--previous", "--tail=30"], { allowFail: true });
    return /leaderelection lost|failed to renew lease|leader election lost/i.test(r.stdout + r.stderr);
}

/**
 * The containers of `before` that are gone or changed now, but a lost leader lease; `gone` pods
 * (their key's pod name) only when `keepGone` is false: a change may delete pods on purpose.
 */
export async function restartedSince(
    before: Map<string, string>,
    opts: { keepGone?: boolean } = {},
): Promise<{ unexplained: string[]; leaseLost: string[] }> {
    const after = await containers();
    const leaseLost: string[] = [];
    const unexplained: string[] = [];
    for (const [k, v] of before) {
        const now = after.get(k);
        if (now === v || (now === undefined && opts.keepGone)) continue;
        if (/\/kube-(controller-manager|scheduler)-/.test(k) && (await lostItsLease(k))) leaseLost.push(k);
        else unexplained.push(`${k}: ${v} -> ${now ?? "gone"}`);
    }
    return { unexplained, leaseLost };
}
