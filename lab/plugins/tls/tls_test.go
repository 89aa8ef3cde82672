package tls

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"golang.org/x/crypto/ssh"

	"v6k8s.local/lab/plugins/standin"
)

var types = Provider().Types

func create(t *testing.T, typ string, props resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	resp, err := types[typ].Create(context.Background(), func(diag.Severity, string, bool) {}, plugin.CreateRequest{
		URN: resource.NewURN("lab", "v6k8s", "", tokens.Type(typ), "x"), Properties: props,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID == "" {
		t.Fatal("a created resource needs an id")
	}
	return resp.Properties
}

func str(m resource.PropertyMap, k string) string { s, _ := standin.Str(m, k); return s }

func parseCert(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(text))
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("not a certificate: %q", text)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPrivateKeyFormsAreOneKeyAndPrivateOnesSecret(t *testing.T) {
	k := create(t, typePrivateKey, resource.PropertyMap{"algorithm": resource.NewProperty("ED25519")})
	for _, s := range []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
		if !k[resource.PropertyKey(s)].IsSecret() {
			t.Fatalf("%s must be secret", s)
		}
	}
	if k["publicKeyPem"].IsSecret() {
		t.Fatal("publicKeyPem is not secret")
	}
	signer, err := ssh.ParsePrivateKey([]byte(str(k, "privateKeyOpenssh")))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ssh.MarshalAuthorizedKey(signer.PublicKey())); got != str(k, "publicKeyOpenssh") {
		t.Fatalf("publicKeyOpenssh %q is not the key's %q", str(k, "publicKeyOpenssh"), got)
	}
	if str(k, "publicKeyFingerprintSha256") != ssh.FingerprintSHA256(signer.PublicKey()) {
		t.Fatal("fingerprint")
	}
	if str(k, "ecdsaCurve") != "P224" || standin.Num(k, "rsaBits", 0) != 2048 {
		t.Fatal("documented defaults P224 and 2048 must be in the state")
	}
	ec := create(t, typePrivateKey, resource.PropertyMap{"algorithm": resource.NewProperty("ECDSA"), "ecdsaCurve": resource.NewProperty("P256")})
	// SEC 1, as the provider documents it: the PEM block type, checked by decoding it.
	if block, _ := pem.Decode([]byte(str(ec, "privateKeyPem"))); block == nil || block.Type != "EC PRIVATE KEY" {
		t.Fatal("ECDSA privateKeyPem is not a SEC 1 (EC PRIVATE KEY) PEM block")
	}
}

// A CA, a request and a locally signed leaf: the chain verifies, the SANs and usages are the inputs'.
func TestChainVerifiesWithTheRequestedNamesAndUsages(t *testing.T) {
	ecdsa := resource.PropertyMap{"algorithm": resource.NewProperty("ECDSA"), "ecdsaCurve": resource.NewProperty("P256")}
	caKey := create(t, typePrivateKey, ecdsa)
	ca := create(t, typeSelfSignedCert, resource.PropertyMap{
		"privateKeyPem":       caKey["privateKeyPem"],
		"subject":             resource.NewPropertyValue(map[string]any{"commonName": "kubernetes-ca"}),
		"isCaCertificate":     resource.NewProperty(true),
		"allowedUses":         resource.NewPropertyValue([]any{"cert_signing", "digital_signature", "key_encipherment"}),
		"validityPeriodHours": resource.NewProperty(100.0),
	})
	if !ca["privateKeyPem"].IsSecret() {
		t.Fatal("the CA key input stays secret in the outputs")
	}
	leafKey := create(t, typePrivateKey, ecdsa)
	csr := create(t, typeCertRequest, resource.PropertyMap{
		"privateKeyPem": leafKey["privateKeyPem"],
		"subject":       resource.NewPropertyValue(map[string]any{"commonName": "system:node:w1", "organization": "system:nodes"}),
		"dnsNames":      resource.NewPropertyValue([]any{"w1"}),
		"ipAddresses":   resource.NewPropertyValue([]any{"fd00::1", "::1"}),
	})
	leaf := create(t, typeLocallySignedCert, resource.PropertyMap{
		"certRequestPem":      csr["certRequestPem"],
		"caCertPem":           ca["certPem"],
		"caPrivateKeyPem":     caKey["privateKeyPem"],
		"allowedUses":         resource.NewPropertyValue([]any{"digital_signature", "key_encipherment", "client_auth"}),
		"validityPeriodHours": resource.NewProperty(10.0),
		"earlyRenewalHours":   resource.NewProperty(1.0),
	})
	pool := x509.NewCertPool()
	pool.AddCert(parseCert(t, str(ca, "certPem")))
	c := parseCert(t, str(leaf, "certPem"))
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	if c.Subject.CommonName != "system:node:w1" || c.Subject.Organization[0] != "system:nodes" || len(c.IPAddresses) != 2 || c.DNSNames[0] != "w1" {
		t.Fatalf("subject or SANs: %v %v %v", c.Subject, c.IPAddresses, c.DNSNames)
	}
	if c.IsCA || c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Fatal("usages")
	}
	end, _ := time.Parse(time.RFC3339, str(leaf, "validityEndTime"))
	if d := end.Sub(c.NotAfter); d > time.Second || d < -time.Second {
		t.Fatalf("validityEndTime %v is not the certificate's %v", end, c.NotAfter)
	}
	if str(leaf, "caKeyAlgorithm") != "ECDSA" {
		t.Fatal("caKeyAlgorithm")
	}
}

func TestRenewalWindowReplacesAndEarlyRenewalHoursUpdates(t *testing.T) {
	cert := types[typeLocallySignedCert]
	end := time.Now().Add(5 * time.Hour).Format(time.RFC3339)
	olds := resource.PropertyMap{"validityPeriodHours": resource.NewProperty(10.0), "earlyRenewalHours": resource.NewProperty(1.0)}
	state := standin.Copy(olds)
	state["validityEndTime"] = resource.NewProperty(end)
	news := standin.Copy(olds)
	d, _ := cert.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, OldOutputs: state, NewInputs: news})
	if d.Changes != plugin.DiffNone {
		t.Fatalf("outside the window nothing changes: %+v", d)
	}
	news["earlyRenewalHours"] = resource.NewProperty(2.0)
	d, _ = cert.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, OldOutputs: state, NewInputs: news})
	if d.Changes != plugin.DiffSome || d.DetailedDiff["earlyRenewalHours"].Kind != plugin.DiffUpdate || len(d.ReplaceKeys) != 0 {
		t.Fatalf("earlyRenewalHours is an in-place update: %+v", d)
	}
	news["earlyRenewalHours"] = resource.NewProperty(6.0)
	d, _ = cert.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, OldOutputs: state, NewInputs: news})
	if d.DetailedDiff["readyForRenewal"].Kind != plugin.DiffUpdateReplace {
		t.Fatalf("inside the window the certificate is replaced: %+v", d)
	}
	t.Setenv(ClockOffsetEnv, "6h")
	d, _ = cert.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, OldOutputs: state, NewInputs: standin.Copy(olds)})
	if d.DetailedDiff["readyForRenewal"].Kind != plugin.DiffUpdateReplace {
		t.Fatalf("an expired certificate is replaced: %+v", d)
	}
	news = standin.Copy(olds)
	news["validityPeriodHours"] = resource.NewProperty(20.0)
	t.Setenv(ClockOffsetEnv, "")
	d, _ = cert.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, OldOutputs: state, NewInputs: news})
	if d.DetailedDiff["validityPeriodHours"].Kind != plugin.DiffUpdateReplace {
		t.Fatalf("any other input replaces: %+v", d)
	}
}

func TestClockOffsetIssuesBackdatedCertificates(t *testing.T) {
	t.Setenv(ClockOffsetEnv, "-48h")
	key := create(t, typePrivateKey, resource.PropertyMap{"algorithm": resource.NewProperty("ECDSA"), "ecdsaCurve": resource.NewProperty("P256")})
	c := create(t, typeSelfSignedCert, resource.PropertyMap{
		"privateKeyPem":       key["privateKeyPem"],
		"subject":             resource.NewPropertyValue(map[string]any{"commonName": "old"}),
		"validityPeriodHours": resource.NewProperty(24.0),
	})
	if parseCert(t, str(c, "certPem")).NotAfter.After(time.Now()) {
		t.Fatal("a certificate issued 48 h ago for 24 h has expired")
	}
}
