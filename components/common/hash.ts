// The one hash of the project: sha256 of a text's UTF-8 bytes, as hex. Triggers, pod annotations
// and resource names are made from it; two spellings of it would sooner or later disagree.
import { createHash } from "crypto";

export function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}
