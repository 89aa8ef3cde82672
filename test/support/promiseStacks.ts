// @pulumi/pulumi stamps every promise it makes with `new Error().stack` (debuggablePromise), only
// to print it when PULUMI_DEBUG_PROMISE_LEAKS is set. Under ts-node each such stack goes through
// source-map-support, which was two thirds of a mocked program run. Here those stacks stay
// unformatted; every other error keeps its source-mapped stack. With PULUMI_DEBUG_PROMISE_LEAKS
// set, nothing changes, so the leak report stays readable.
const LEAK_STACK = "(promise stack not formatted in tests; set PULUMI_DEBUG_PROMISE_LEAKS=1 to see it)";

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    const formatted = Error.prepareStackTrace;
    Error.prepareStackTrace = (error, callsites) => {
        if (callsites[0]?.getFunctionName() === "debuggablePromise") return LEAK_STACK;
        return formatted ? formatted(error, callsites) : `${error}${callsites.map((c) => `\n    at ${c}`).join("")}`;
    };
}

export {};
