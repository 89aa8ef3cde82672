// Where a CLI writes: the process's streams when run, a buffer when a test calls main in-process.
export interface CliIo {
    out(text: string): void;
    err(text: string): void;
}

export const PROCESS_IO: CliIo = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
};
