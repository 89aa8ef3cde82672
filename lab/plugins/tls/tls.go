// Package tls is the lab's stand-in for pulumi-resource-tls 5.6.1 (the bridged
// terraform-provider-tls): `tls:index/privateKey:PrivateKey`, `.../certRequest:CertRequest`,
// `.../locallySignedCert:LocallySignedCert` and `.../selfSignedCert:SelfSignedCert`, with the
// inputs the program uses and the behaviour @pulumi/tls 5.6.1 documents (its *.d.ts, which carry
// the provider's docs):
//
//   - PrivateKey: `algorithm` RSA, ECDSA or ED25519; `ecdsaCurve` (default P224) and `rsaBits`
//     (default 2048). Outputs `privateKeyPem` (PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for
//     ED25519), `privateKeyPemPkcs8`, `privateKeyOpenssh` (empty for P224), `publicKeyPem` (PKIX),
//     `publicKeyOpenssh` ("Authorized Keys" format with its trailing newline; empty for P224) and
//     its MD5 and SHA256 fingerprints; the three private forms are secrets.
//   - CertRequest: a PKCS#10 request for `privateKeyPem` with `subject`, `dnsNames`,
//     `ipAddresses`, `uris`; outputs `certRequestPem` and `keyAlgorithm`.
//   - SelfSignedCert / LocallySignedCert: a certificate valid from now for `validityPeriodHours`,
//     a random 128-bit serial, basic constraints, `allowedUses` as key usages and extended key
//     usages, `isCaCertificate` (a CA also gets a subject key id), `setSubjectKeyId`,
//     `setAuthorityKeyId` (self-signed only); a locally signed one takes subject and SANs from the
//     request and is signed by `caPrivateKeyPem`/`caCertPem`. Outputs `certPem`,
//     `validityStartTime`/`validityEndTime` (RFC 3339), `readyForRenewal`, `keyAlgorithm` or
//     `caKeyAlgorithm`.
//   - Every input change replaces the resource, except `earlyRenewalHours`, which is updated in
//     place. "This resource considers its instances to have been deleted after either their
//     validity periods ends ... or the early renewal period is reached (i.e. within the
//     `earlyRenewalHours`): when this happens, the `readyForRenewal` attribute will be `true`":
//     a certificate inside that window is replaced by the next update (its diff says
//     `readyForRenewal`), and shows `readyForRenewal: true` after a refresh.
//   - Every input is echoed as an output; in a preview the computed outputs are unknown.
//
// Lab only: V6K8S_LAB_TLS_CLOCK_OFFSET (a Go duration such as -72h) shifts this plugin's clock,
// so the lab can issue certificates that are already expired or inside their renewal window
// (the real provider's clock is the machine's). Unset, the clock is the machine's.
package tls

import (
	"fmt"
	"os"
	"time"

	"v6k8s.local/lab/plugins/standin"
)

// Version is the @pulumi/tls release this stand-in mimics (checked against package.json by
// test/lab/standins.test.ts).
const Version = "5.6.1"

const (
	typePrivateKey        = "tls:index/privateKey:PrivateKey"
	typeCertRequest       = "tls:index/certRequest:CertRequest"
	typeLocallySignedCert = "tls:index/locallySignedCert:LocallySignedCert"
	typeSelfSignedCert    = "tls:index/selfSignedCert:SelfSignedCert"
)

// ClockOffsetEnv names the lab's clock shift (see the package doc).
const ClockOffsetEnv = "V6K8S_LAB_TLS_CLOCK_OFFSET"

// now is the plugin's clock.
func now() (time.Time, error) {
	t := time.Now()
	if s := os.Getenv(ClockOffsetEnv); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return t, fmt.Errorf("%s=%q: %w", ClockOffsetEnv, s, err)
		}
		t = t.Add(d)
	}
	return t, nil
}

// Provider is the stand-in plugin.
func Provider() *standin.Provider {
	return &standin.Provider{
		Name:    "tls",
		Version: Version,
		Types: map[string]standin.Type{
			typePrivateKey:        privateKeyType(),
			typeCertRequest:       certRequestType(),
			typeLocallySignedCert: certificateType(false),
			typeSelfSignedCert:    certificateType(true),
		},
	}
}
