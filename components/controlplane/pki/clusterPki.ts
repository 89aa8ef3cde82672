// The cluster PKI with @pulumi/tls: three CAs, the service-account key pair, and every leaf of
// certProfiles(). Private keys are Pulumi secrets; CA keys never leave the program's state.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PkiConfig } from "../../config/types";
import { earlyRenewalHours, earliestExpiryByNode, renewalWarnings } from "./expiry";
import { CA_PROFILES, CA_USAGES, CertProfile, PkiInput, Signer, certProfiles } from "./profiles";

export interface ClusterPkiArgs {
    /** The profiles' inputs; addresses may be unknown until hcloud servers exist. */
    readonly input: pulumi.Output<PkiInput>;
    /** Node names and roles, known at declaration time: they decide which resources exist. */
    readonly nodes: readonly { name: string; controlPlane: boolean }[];
    /** Lifetimes and the generation (bumping it re-issues every leaf). */
    readonly config: PkiConfig;
    /** The clock the renewal-window warning reads; default the current time. */
    readonly now?: () => Date;
}

export interface IssuedCert {
    readonly certPem: pulumi.Output<string>;
    /** A secret. */
    readonly keyPem: pulumi.Output<string>;
}

const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export class ClusterPki extends pulumi.ComponentResource {
    /** The three CAs' certificates and keys (the keys are secrets and never leave the program's state). */
    public readonly cas: Record<Signer, IssuedCert>;
    /** Every leaf certificate and key (a secret), by profile id; read through leaf(). */
    private readonly leaves: ReadonlyMap<string, IssuedCert>;
    /** The leaf profiles (ids, holders, signers, paths), known at declaration time from names and roles. */
    public readonly profiles: readonly CertProfile[];
    /** The service-account signing key pair (the private half is a secret). */
    public readonly serviceAccount: { publicKeyPem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string> };
    /**
     * Per node, the RFC 3339 `validityEndTime` of the earliest-expiring leaf certificate it holds
     * (unknown in a preview while a certificate is being issued). Computing it logs a warning for
     * every node inside the renewal window.
     */
    public readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("v6k8s:controlplane:ClusterPki", name, {}, opts);
        const child = { parent: this };
        const { config } = args;

        this.cas = Object.fromEntries(
            CA_PROFILES.map((ca) => {
                const key = new tls.PrivateKey(`${name}-ca-${ca.id}-key`, KEY, child);
                const cert = new tls.SelfSignedCert(
                    `${name}-ca-${ca.id}`,
                    {
                        privateKeyPem: key.privateKeyPem,
                        subject: { commonName: ca.commonName },
                        isCaCertificate: true,
                        allowedUses: [...CA_USAGES],
                        validityPeriodHours: config.caValidityHours,
                    },
                    child,
                );
                return [ca.id, { certPem: cert.certPem, keyPem: key.privateKeyPem }];
            }),
        ) as Record<Signer, IssuedCert>;

        const sa = new tls.PrivateKey(`${name}-service-account`, KEY, child);
        this.serviceAccount = { publicKeyPem: sa.publicKeyPem, privateKeyPem: sa.privateKeyPem };

        // Which certificates exist depends only on names and roles; their contents may wait for
        // hcloud addresses. Placeholder addresses never reach a certificate.
        this.profiles = certProfiles({
            nodes: args.nodes.map((n) => ({ ...n, meshAddress: "::", publicAddress: "::" })),
            apiserverServiceAddress: "::",
            clusterDomain: "cluster.local",
            apiserverExtraNames: [],
        });
        const resolved = args.input.apply(certProfiles);
        const gen = `g${config.generation}`;
        const renewalHours = earlyRenewalHours(config.certificateValidityHours);
        const issued: tls.LocallySignedCert[] = [];

        this.leaves = new Map(
            this.profiles.map((shape) => {
                const p = resolved.apply((all) => all.find((x) => x.id === shape.id) as CertProfile);
                const key = new tls.PrivateKey(`${name}-${shape.id}-${gen}-key`, KEY, child);
                const csr = new tls.CertRequest(
                    `${name}-${shape.id}-${gen}-csr`,
                    {
                        privateKeyPem: key.privateKeyPem,
                        subject: { commonName: shape.commonName, organization: shape.organization },
                        dnsNames: p.apply((x) => [...x.dnsNames]),
                        ipAddresses: p.apply((x) => [...x.ipAddresses]),
                    },
                    child,
                );
                const ca = this.cas[shape.signer];
                const cert = new tls.LocallySignedCert(
                    `${name}-${shape.id}-${gen}`,
                    {
                        certRequestPem: csr.certRequestPem,
                        caCertPem: ca.certPem,
                        caPrivateKeyPem: ca.keyPem,
                        allowedUses: [...shape.usages],
                        validityPeriodHours: config.certificateValidityHours,
                        // Re-issued on the first `pulumi up` in the last tenth of its life.
                        earlyRenewalHours: renewalHours,
                    },
                    child,
                );
                issued.push(cert);
                return [shape.id, { certPem: cert.certPem, keyPem: key.privateKeyPem }];
            }),
        );

        // A certificate still inside its window after an update was not re-issued (a targeted or
        // failed run): say so in the `pulumi up` output, naming the node and the time.
        const now = args.now ?? (() => new Date());
        this.certificateExpiry = pulumi.all(issued.map((c) => c.validityEndTime)).apply((ends) => {
            const certs = this.profiles.map((p, i) => ({ id: p.id, holders: p.holders, validityEndTime: ends[i] }));
            for (const w of renewalWarnings(certs, now(), renewalHours)) void pulumi.log.warn(w, this);
            return earliestExpiryByNode(certs);
        });

        // Keys are registered by their public part only: component outputs add no copy of a secret.
        this.registerOutputs({
            cas: Object.fromEntries(Object.entries(this.cas).map(([k, v]) => [k, v.certPem])),
            profiles: this.profiles.map((p) => p.id),
            serviceAccount: this.serviceAccount.publicKeyPem,
            certificateExpiry: this.certificateExpiry,
        });
    }

    leaf(id: string): IssuedCert {
        const cert = this.leaves.get(id);
        if (!cert) throw new Error(`no certificate profile "${id}"`);
        return cert;
    }
}
