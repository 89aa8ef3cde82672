// Reads back the files an installFilesCommand script would write: path -> {content, mode}.
export function decodeInstalledFiles(script: string): Map<string, { content: string; mode: string }> {
    const files = new Map<string, { content: string; mode: string }>();
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const m = /^printf '%s' '([A-Za-z0-9+/=]*)' \| base64 -d > '.+'$/.exec(lines[i]);
        const put = /^(?:put|stage) '(.+)' (\d+)$/.exec(lines[i + 1] ?? "");
        if (!m || !put) continue;
        files.set(put[1], { content: Buffer.from(m[1], "base64").toString("utf8"), mode: put[2] });
    }
    return files;
}

/** Reads back the files sent on stdin (filesOnStdin): path -> {content, mode}. */
export function decodeStdinFiles(stdin: string): Map<string, { content: string; mode: string }> {
    const files = new Map<string, { content: string; mode: string }>();
    for (const line of stdin.split("\n")) {
        const [mode, path, data] = line.split(" ");
        if (data === undefined) continue;
        files.set(path, { content: Buffer.from(data, "base64").toString("utf8"), mode });
    }
    return files;
}

/**
 * A static-pod manifest with its certificates' hash (an annotation made from certificates the
 * offline render cannot know) blanked, for comparing what is sent with what is rendered.
 */
export function withoutCertificatesHash(text: string): string {
    return text.replace(/(v6k8s\.io\/certificates: )\S+/g, "$1#");
}
