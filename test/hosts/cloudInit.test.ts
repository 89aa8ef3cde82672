import { strict as assert } from "assert";
import { parse } from "yaml";
import { hostKeyUserData } from "../../components/hosts/render/cloudInit";
import { fakeHostKey } from "../support/hostKeys";

// A stand-in, not a key: PEM-shaped text assembled here so no key-like block sits in git.
const armour = (edge: string) => `-----${edge} ${["OPENSSH", "PRIVATE", "KEY"].join(" ")}-----`;
const PRIVATE = `${armour("BEGIN")}\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nSTAND-IN: not a key\n${armour("END")}\n`;

describe("hcloud user data: the SSH host key for cloud-init", () => {
    it("installs exactly the given ed25519 key, deletes the image's keys and generates none", () => {
        const text = hostKeyUserData({ privateKey: PRIVATE, publicKey: `${fakeHostKey("w2")}\n` });
        assert.ok(text.startsWith("#cloud-config\n"), "cloud-init reads user data as cloud-config only with this first line");
        assert.deepEqual(parse(text), {
            ssh_deletekeys: true,
            ssh_genkeytypes: [],
            ssh_keys: { ed25519_private: PRIVATE, ed25519_public: fakeHostKey("w2") },
        });
    });

    it("keeps the private key byte for byte (a final newline added: sshd needs it)", () => {
        const text = hostKeyUserData({ privateKey: PRIVATE.trimEnd(), publicKey: fakeHostKey("w2") });
        assert.equal((parse(text) as { ssh_keys: { ed25519_private: string } }).ssh_keys.ed25519_private, PRIVATE);
    });

    it("refuses a public key that is not one ed25519 line", () => {
        assert.throws(
            () => hostKeyUserData({ privateKey: PRIVATE, publicKey: "ecdsa-sha2-nistp256 AAAA" }),
            /not an ssh-ed25519 public key/,
        );
        assert.throws(
            () => hostKeyUserData({ privateKey: PRIVATE, publicKey: `${fakeHostKey("a")}\nssh-ed25519 AAAA` }),
            /not an ssh-ed25519 public key/,
        );
    });
});
