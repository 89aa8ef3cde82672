// Runs index.ts under Pulumi mocks and records every resource it declares.
// Any provider function call (data source) fails the test: the program must plan offline.
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

export interface ProgramRun {
    outputs: Record<string, unknown>;
    resources: RecordedResource[];
}

const PROGRAM = path.join(__dirname, "..", "..", "index.ts");
export const PROJECT = "v6k8s";

/** Encodes raw config the way the engine hands it over: strings as-is, the rest as JSON. */
export function engineConfig(raw: Record<string, unknown>, secrets: Record<string, string> = {}) {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) config[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(secrets)) config[`${PROJECT}:${k}`] = v;
    return { config, secretKeys: Object.keys(secrets).map((k) => `${PROJECT}:${k}`) };
}

/** Mock provider state: echo the inputs, plus whatever `outputs` adds for a resource type. */
export type OutputsFor = (r: RecordedResource) => Record<string, unknown>;

export async function runProgram(
    raw: Record<string, unknown>,
    opts: { preview?: boolean; secrets?: Record<string, string>; outputs?: OutputsFor } = {},
): Promise<ProgramRun> {
    const resources: RecordedResource[] = [];
    const { config, secretKeys } = engineConfig(raw, opts.secrets ?? { sshPrivateKey: "TEST-KEY", hcloudToken: "t".repeat(64) });
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const rec = { type: args.type, name: args.name, inputs: args.inputs };
                resources.push(rec);
                return { id: `${args.name}-id`, state: { ...args.inputs, ...(opts.outputs?.(rec) ?? {}) } };
            },
            call(args) {
                throw new Error(`unexpected provider call ${args.token}: the program must not use data sources`);
            },
        },
        PROJECT,
        "test",
        opts.preview ?? false,
    );
    delete require.cache[require.resolve(PROGRAM)];
    const outputs = (await import(PROGRAM)) as Record<string, unknown>;
    return { outputs, resources };
}

/** Resolves an Output (or plain value) deeply; unknown preview values become `undefined`. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<T | undefined> {
    const out = pulumi.output(value) as pulumi.Output<T> & { isKnown: Promise<boolean>; promise(): Promise<T> };
    if (!(await out.isKnown)) return undefined;
    return out.promise();
}
