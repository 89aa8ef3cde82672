package tls

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the provider's resource id is a SHA-1 of the public key
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"golang.org/x/crypto/ssh"

	"v6k8s.local/lab/plugins/standin"
)

var curves = map[string]elliptic.Curve{
	"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521(),
}

const (
	defaultCurve   = "P224"
	defaultRsaBits = 2048
)

func privateKeyType() standin.Type {
	return standin.Type{
		Check: func(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
			var f []plugin.CheckFailure
			if v, ok := req.News["algorithm"]; !ok || !v.ContainsUnknowns() {
				alg, _ := standin.Str(req.News, "algorithm")
				if alg != "RSA" && alg != "ECDSA" && alg != "ED25519" {
					f = append(f, plugin.CheckFailure{Property: "algorithm", Reason: fmt.Sprintf("must be RSA, ECDSA or ED25519, got %q", alg)})
				}
			}
			if c, ok := standin.Str(req.News, "ecdsaCurve"); ok && curves[c] == nil {
				f = append(f, plugin.CheckFailure{Property: "ecdsaCurve", Reason: fmt.Sprintf("must be P224, P256, P384 or P521, got %q", c)})
			}
			return plugin.CheckResponse{Properties: req.News, Failures: f}, nil
		},
		Diff: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
			return standin.InputDiff(req.OldInputs, req.NewInputs, func(string) bool { return true }), nil
		},
		Create: func(_ context.Context, _ standin.Logger, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			state := standin.Copy(req.Properties)
			if _, ok := standin.Str(state, "ecdsaCurve"); !ok {
				state["ecdsaCurve"] = resource.NewProperty(defaultCurve)
			}
			if _, ok := standin.Get(state, "rsaBits"); !ok {
				state["rsaBits"] = resource.NewProperty(float64(defaultRsaBits))
			}
			outs := []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh",
				"publicKeyFingerprintMd5", "publicKeyFingerprintSha256"}
			if req.Preview {
				for _, k := range outs {
					state[resource.PropertyKey(k)] = standin.Computed()
				}
				return plugin.CreateResponse{ID: "", Properties: state}, nil
			}
			alg, _ := standin.Str(state, "algorithm")
			curve, _ := standin.Str(state, "ecdsaCurve")
			key, err := generate(alg, curve, int(standin.Num(state, "rsaBits", defaultRsaBits)))
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			forms, err := keyForms(key)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			for k, v := range forms {
				state[resource.PropertyKey(k)] = resource.NewProperty(v)
			}
			for _, k := range []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
				state[resource.PropertyKey(k)] = standin.Secret(state[resource.PropertyKey(k)])
			}
			sum := sha1.Sum([]byte(strings.TrimSpace(forms["publicKeyPem"]))) //nolint:gosec // an id, as the provider's
			return plugin.CreateResponse{ID: resource.ID(hex.EncodeToString(sum[:])), Properties: state}, nil
		},
		Update: noUpdate,
	}
}

func noUpdate(_ context.Context, _ standin.Logger, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	return plugin.UpdateResponse{}, fmt.Errorf("%s: every change of this resource is a replacement (lab stand-in)", req.URN)
}

func generate(alg, curve string, rsaBits int) (crypto.Signer, error) {
	switch alg {
	case "RSA":
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case "ECDSA":
		c := curves[curve]
		if c == nil {
			return nil, fmt.Errorf("invalid ecdsaCurve %q", curve)
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	case "ED25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("invalid algorithm %q", alg)
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// keyForms: every output form of a private key.
func keyForms(key crypto.Signer) (map[string]string, error) {
	out := map[string]string{}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		out["privateKeyPem"] = pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, err
		}
		out["privateKeyPem"] = pemOf("EC PRIVATE KEY", der)
	case ed25519.PrivateKey:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		out["privateKeyPem"] = pemOf("PRIVATE KEY", der)
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	out["privateKeyPemPkcs8"] = pemOf("PRIVATE KEY", pkcs8)
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	out["publicKeyPem"] = pemOf("PUBLIC KEY", pub)
	out["privateKeyOpenssh"], out["publicKeyOpenssh"] = "", ""
	out["publicKeyFingerprintMd5"], out["publicKeyFingerprintSha256"] = "", ""
	// OpenSSH has no P-224.
	if ec, ok := key.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P224() {
		block, err := ssh.MarshalPrivateKey(key, "")
		if err != nil {
			return nil, err
		}
		out["privateKeyOpenssh"] = string(pem.EncodeToMemory(block))
		sshPub, err := ssh.NewPublicKey(key.Public())
		if err != nil {
			return nil, err
		}
		out["publicKeyOpenssh"] = string(ssh.MarshalAuthorizedKey(sshPub))
		out["publicKeyFingerprintMd5"] = ssh.FingerprintLegacyMD5(sshPub)
		out["publicKeyFingerprintSha256"] = ssh.FingerprintSHA256(sshPub)
	}
	return out, nil
}

// parsePrivateKey reads any of privateKeyPem's forms; returns the key and its algorithm name.
func parsePrivateKey(text string) (crypto.Signer, string, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, "", fmt.Errorf("failed to decode the private key PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("unsupported private key PEM type %q", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, "RSA", nil
	case *ecdsa.PrivateKey:
		return k, "ECDSA", nil
	case ed25519.PrivateKey:
		return k, "ED25519", nil
	}
	return nil, "", fmt.Errorf("unsupported private key type %T", key)
}
