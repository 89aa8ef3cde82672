// What bench/timingReporter.ts writes and bench/tests.bench.ts reads.
export interface Timing {
    title: string;
    file?: string;
    ms: number;
}

export interface TimingReport {
    passes: number;
    failures: { title: string; message: string }[];
    pending: number;
    tests: Timing[];
    hooks: Timing[];
}
