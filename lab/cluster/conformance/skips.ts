// The conformance tests the lab does not run, each by name with the reason: what the lab cannot
// provide (an image that cannot be made here, a network it does not have). Never a test that fails
// for the cluster's own fault: those are fixed (or fail, and say so). Empty means none is skipped.

export interface Skip {
    /** A regular expression on the test's full name (ginkgo --skip). */
    readonly name: string;
    readonly reason: string;
}

export const SKIPS: readonly Skip[] = [];
