package tls

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the subject key id is the SHA-1 of the public key (RFC 5280 4.2.1.2)
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"

	"v6k8s.local/lab/plugins/standin"
)

// allowedUses names -> key usages and extended key usages.
var keyUsages = map[string]x509.KeyUsage{
	"digital_signature": x509.KeyUsageDigitalSignature, "content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment": x509.KeyUsageKeyEncipherment, "data_encipherment": x509.KeyUsageDataEncipherment,
	"key_agreement": x509.KeyUsageKeyAgreement, "cert_signing": x509.KeyUsageCertSign, "crl_signing": x509.KeyUsageCRLSign,
	"encipher_only": x509.KeyUsageEncipherOnly, "decipher_only": x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended": x509.ExtKeyUsageAny, "server_auth": x509.ExtKeyUsageServerAuth, "client_auth": x509.ExtKeyUsageClientAuth,
	"code_signing": x509.ExtKeyUsageCodeSigning, "email_protection": x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system": x509.ExtKeyUsageIPSECEndSystem, "ipsec_tunnel": x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user": x509.ExtKeyUsageIPSECUser, "timestamping": x509.ExtKeyUsageTimeStamping,
	"ocsp_signing": x509.ExtKeyUsageOCSPSigning,
}

// subjectOf reads the `subject` object.
func subjectOf(props resource.PropertyMap) pkix.Name {
	s := standin.Obj(props, "subject")
	one := func(k string) []string {
		if v, ok := standin.Str(s, k); ok {
			return []string{v}
		}
		return nil
	}
	name := pkix.Name{
		Organization: one("organization"), OrganizationalUnit: one("organizationalUnit"), StreetAddress: standin.Strings(s, "streetAddresses"),
		Locality: one("locality"), Province: one("province"), Country: one("country"), PostalCode: one("postalCode"),
	}
	name.CommonName, _ = standin.Str(s, "commonName")
	name.SerialNumber, _ = standin.Str(s, "serialNumber")
	return name
}

// sans reads dnsNames, ipAddresses and uris.
func sans(props resource.PropertyMap) ([]string, []net.IP, []*url.URL, error) {
	var ips []net.IP
	for _, s := range standin.Strings(props, "ipAddresses") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, nil, nil, fmt.Errorf("invalid IP address %q in ipAddresses", s)
		}
		ips = append(ips, ip)
	}
	var uris []*url.URL
	for _, s := range standin.Strings(props, "uris") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("invalid URI %q in uris: %w", s, err)
		}
		uris = append(uris, u)
	}
	return standin.Strings(props, "dnsNames"), ips, uris, nil
}

func certRequestType() standin.Type {
	return standin.Type{
		Diff: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
			return standin.InputDiff(req.OldInputs, req.NewInputs, func(string) bool { return true }), nil
		},
		Create: func(_ context.Context, _ standin.Logger, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			state := standin.Copy(req.Properties)
			secretInput(state, "privateKeyPem")
			if req.Preview {
				state["certRequestPem"], state["keyAlgorithm"] = standin.Computed(), standin.Computed()
				return plugin.CreateResponse{Properties: state}, nil
			}
			keyText, _ := standin.Str(state, "privateKeyPem")
			key, alg, err := parsePrivateKey(keyText)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			dns, ips, uris, err := sans(state)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
				Subject: subjectOf(state), DNSNames: dns, IPAddresses: ips, URIs: uris,
			}, key)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			text := pemOf("CERTIFICATE REQUEST", der)
			state["certRequestPem"], state["keyAlgorithm"] = resource.NewProperty(text), resource.NewProperty(alg)
			sum := sha1.Sum([]byte(strings.TrimSpace(text))) //nolint:gosec // an id, as the provider's
			return plugin.CreateResponse{ID: resource.ID(hex.EncodeToString(sum[:])), Properties: state}, nil
		},
		Update: noUpdate,
	}
}

// secretInput keeps a private key input secret in the outputs (the provider's attribute is sensitive).
func secretInput(state resource.PropertyMap, key string) {
	if v, ok := state[resource.PropertyKey(key)]; ok && !v.IsNull() {
		state[resource.PropertyKey(key)] = standin.Secret(v)
	}
}

// certificateType: SelfSignedCert (selfSigned) or LocallySignedCert.
func certificateType(selfSigned bool) standin.Type {
	return standin.Type{
		Diff: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
			d := standin.InputDiff(req.OldInputs, req.NewInputs, func(path string) bool { return path != "earlyRenewalHours" })
			ready, err := readyForRenewal(req.OldOutputs, standin.Num(req.NewInputs, "earlyRenewalHours", 0))
			if err != nil || !ready {
				return d, err
			}
			if d.DetailedDiff == nil {
				d.DetailedDiff = map[string]plugin.PropertyDiff{}
			}
			d.Changes = plugin.DiffSome
			d.DetailedDiff["readyForRenewal"] = plugin.PropertyDiff{Kind: plugin.DiffUpdateReplace}
			d.ChangedKeys = append(d.ChangedKeys, "readyForRenewal")
			d.ReplaceKeys = append(d.ReplaceKeys, "readyForRenewal")
			return d, nil
		},
		Create: func(_ context.Context, _ standin.Logger, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			state := standin.Copy(req.Properties)
			for k, def := range map[string]any{"earlyRenewalHours": 0.0, "isCaCertificate": false, "setSubjectKeyId": false} {
				if _, ok := standin.Get(state, k); !ok {
					state[resource.PropertyKey(k)] = resource.NewPropertyValue(def)
				}
			}
			algKey := "caKeyAlgorithm"
			if selfSigned {
				algKey = "keyAlgorithm"
				if _, ok := standin.Get(state, "setAuthorityKeyId"); !ok {
					state["setAuthorityKeyId"] = resource.NewProperty(false)
				}
				secretInput(state, "privateKeyPem")
			} else {
				secretInput(state, "caPrivateKeyPem")
			}
			state["readyForRenewal"] = resource.NewProperty(false)
			if req.Preview {
				for _, k := range []string{"certPem", "validityStartTime", "validityEndTime", algKey} {
					state[resource.PropertyKey(k)] = standin.Computed()
				}
				return plugin.CreateResponse{Properties: state}, nil
			}
			cert, err := issue(state, selfSigned)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			state["certPem"] = resource.NewProperty(cert.pem)
			state["validityStartTime"] = resource.NewProperty(cert.start)
			state["validityEndTime"] = resource.NewProperty(cert.end)
			state[resource.PropertyKey(algKey)] = resource.NewProperty(cert.keyAlgorithm)
			return plugin.CreateResponse{ID: resource.ID(cert.serial), Properties: state}, nil
		},
		// Only earlyRenewalHours changes in place: the new inputs over the old state.
		Update: func(_ context.Context, _ standin.Logger, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
			state := standin.Copy(req.OldOutputs)
			state["earlyRenewalHours"] = resource.NewProperty(standin.Num(req.NewInputs, "earlyRenewalHours", 0))
			return plugin.UpdateResponse{Properties: state}, nil
		},
		// A refresh sees a certificate inside its renewal window as ready for renewal.
		Read: func(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
			state := standin.Copy(req.State)
			ready, err := readyForRenewal(req.State, standin.Num(req.State, "earlyRenewalHours", 0))
			if err != nil {
				return plugin.ReadResponse{}, err
			}
			if ready {
				state["readyForRenewal"] = resource.NewProperty(true)
			}
			return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: state}, Status: resource.StatusOK}, nil
		},
	}
}

// readyForRenewal: now is at or after validityEndTime minus earlyRenewalHours.
func readyForRenewal(state resource.PropertyMap, earlyRenewalHours float64) (bool, error) {
	end, ok := standin.Str(state, "validityEndTime")
	if !ok {
		return false, nil
	}
	t, err := time.Parse(time.RFC3339, end)
	if err != nil {
		return false, fmt.Errorf("validityEndTime %q: %w", end, err)
	}
	n, err := now()
	if err != nil {
		return false, err
	}
	return !t.Add(-time.Duration(earlyRenewalHours) * time.Hour).After(n), nil
}

type issued struct{ pem, start, end, serial, keyAlgorithm string }

func issue(props resource.PropertyMap, selfSigned bool) (issued, error) {
	var template x509.Certificate
	var parent *x509.Certificate
	var pub crypto.PublicKey
	var signer crypto.Signer
	var alg string
	if selfSigned {
		keyText, _ := standin.Str(props, "privateKeyPem")
		key, a, err := parsePrivateKey(keyText)
		if err != nil {
			return issued{}, err
		}
		dns, ips, uris, err := sans(props)
		if err != nil {
			return issued{}, err
		}
		template = x509.Certificate{Subject: subjectOf(props), DNSNames: dns, IPAddresses: ips, URIs: uris, BasicConstraintsValid: true}
		parent, pub, signer, alg = &template, key.Public(), key, a
	} else {
		csrText, _ := standin.Str(props, "certRequestPem")
		block, _ := pem.Decode([]byte(csrText))
		if block == nil || block.Type != "CERTIFICATE REQUEST" {
			return issued{}, fmt.Errorf("certRequestPem is not a PEM certificate request")
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return issued{}, err
		}
		caKeyText, _ := standin.Str(props, "caPrivateKeyPem")
		caKey, a, err := parsePrivateKey(caKeyText)
		if err != nil {
			return issued{}, fmt.Errorf("caPrivateKeyPem: %w", err)
		}
		caText, _ := standin.Str(props, "caCertPem")
		caBlock, _ := pem.Decode([]byte(caText))
		if caBlock == nil || caBlock.Type != "CERTIFICATE" {
			return issued{}, fmt.Errorf("caCertPem is not a PEM certificate")
		}
		ca, err := x509.ParseCertificate(caBlock.Bytes)
		if err != nil {
			return issued{}, err
		}
		template = x509.Certificate{Subject: csr.Subject, DNSNames: csr.DNSNames, IPAddresses: csr.IPAddresses, URIs: csr.URIs, BasicConstraintsValid: true}
		parent, pub, signer, alg = ca, csr.PublicKey, caKey, a
	}
	n, err := now()
	if err != nil {
		return issued{}, err
	}
	template.NotBefore = n
	template.NotAfter = n.Add(time.Duration(standin.Num(props, "validityPeriodHours", 0)) * time.Hour)
	if template.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
		return issued{}, err
	}
	for _, use := range standin.Strings(props, "allowedUses") {
		template.KeyUsage |= keyUsages[use]
		if e, ok := extKeyUsages[use]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, e)
		}
	}
	if standin.Bool(props, "isCaCertificate", false) {
		if template.Subject.String() == "" {
			return issued{}, fmt.Errorf("a CA certificate needs at least one distinguished name in its subject")
		}
		template.IsCA = true
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return issued{}, err
		}
	}
	if standin.Bool(props, "setSubjectKeyId", false) {
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return issued{}, err
		}
	}
	if selfSigned && standin.Bool(props, "setAuthorityKeyId", false) {
		if len(parent.SubjectKeyId) == 0 {
			return issued{}, fmt.Errorf("setAuthorityKeyId: the issuer has no subject key id")
		}
		template.AuthorityKeyId = parent.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, parent, pub, signer)
	if err != nil {
		return issued{}, err
	}
	return issued{
		pem:          pemOf("CERTIFICATE", der),
		start:        template.NotBefore.Format(time.RFC3339Nano),
		end:          template.NotAfter.Format(time.RFC3339Nano),
		serial:       template.SerialNumber.String(),
		keyAlgorithm: alg,
	}, nil
}

// subjectKeyID: SHA-1 of the public key's bytes (the uncompressed point for ECDSA).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	var b []byte
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		b, err = asn1.Marshal(*k)
	case *ecdsa.PublicKey:
		b = elliptic.Marshal(k.Curve, k.X, k.Y) //nolint:staticcheck // the uncompressed point, as RFC 5280's method 1
	case ed25519.PublicKey:
		b, err = asn1.Marshal(k)
	default:
		err = fmt.Errorf("unsupported public key type %T", pub)
	}
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(b) //nolint:gosec // RFC 5280's method
	return sum[:], nil
}
