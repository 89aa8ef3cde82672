package command

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"v6k8s.local/lab/plugins/standin"
)

// The connection's documented defaults (types/input.d.ts: "Defaults to 22", "Default value is
// 10", "Default value is 15 seconds"; user "root" in the schema's default).
const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
)

func remoteCheck(news resource.PropertyMap) []plugin.CheckFailure {
	c, ok := news["connection"]
	if !ok || standin.Plain(c).IsNull() {
		return []plugin.CheckFailure{failure("connection", "missing required property 'connection'")}
	}
	if c.ContainsUnknowns() {
		return nil
	}
	conn := standin.Plain(c)
	if !conn.IsObject() {
		return []plugin.CheckFailure{failure("connection", "must be an object")}
	}
	var f []plugin.CheckFailure
	if _, ok := standin.Str(conn.ObjectValue(), "host"); !ok {
		f = append(f, failure("connection.host", "missing required property 'host'"))
	}
	for _, k := range []string{"proxy"} {
		if _, ok := standin.Get(conn.ObjectValue(), k); ok {
			f = append(f, failure("connection."+k, fmt.Sprintf("connection.%s is not implemented by the lab's stand-in for pulumi-resource-command", k)))
		}
	}
	return f
}

type connection struct {
	host, user                     string
	port                           int
	privateKey, privateKeyPassword string
	password, hostKey, agentSocket string
	dialErrorLimit, perDialTimeout int
}

func connectionOf(props resource.PropertyMap) (connection, error) {
	m := standin.Obj(props, "connection")
	c := connection{
		user:           defaultUser,
		port:           int(standin.Num(m, "port", defaultPort)),
		dialErrorLimit: int(standin.Num(m, "dialErrorLimit", defaultDialErrorLimit)),
		perDialTimeout: int(standin.Num(m, "perDialTimeout", defaultPerDialTimeout)),
	}
	var ok bool
	if c.host, ok = standin.Str(m, "host"); !ok {
		return c, fmt.Errorf("connection.host is missing")
	}
	if u, ok := standin.Str(m, "user"); ok {
		c.user = u
	}
	c.privateKey, _ = standin.Str(m, "privateKey")
	c.privateKeyPassword, _ = standin.Str(m, "privateKeyPassword")
	c.password, _ = standin.Str(m, "password")
	c.hostKey, _ = standin.Str(m, "hostKey")
	if s, ok := standin.Str(m, "agentSocketPath"); ok {
		c.agentSocket = s
	} else {
		c.agentSocket = os.Getenv("SSH_AUTH_SOCK")
	}
	return c, nil
}

// clientConfig: the pinned host key (and only its algorithm) when set, else any host key; auth
// by private key, password and agent, in that order.
func (c connection) clientConfig() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: c.user, Timeout: time.Duration(c.perDialTimeout) * time.Second}
	if c.hostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.hostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = []string{key.Type()}
	} else {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // documented: no hostKey, no check
	}
	if c.privateKey != "" {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.privateKey), []byte(c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.privateKey))
		}
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(c.password))
	}
	if c.agentSocket != "" {
		conn, err := net.Dial("unix", c.agentSocket)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, nil
}

// dial connects, retrying failed attempts until dialErrorLimit of them failed (-1: no limit).
func (c connection) dial(ctx context.Context, log standin.Logger) (*ssh.Client, error) {
	cfg, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	endpoint := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	limit := "inf"
	if c.dialErrorLimit >= 0 {
		limit = strconv.Itoa(c.dialErrorLimit)
	}
	var lastErr error
	ok, client, err := retry.Until(ctx, retry.Acceptor{
		Accept: func(try int, _ time.Duration) (bool, any, error) {
			client, err := ssh.Dial("tcp", endpoint, cfg)
			if err == nil {
				return true, client, nil
			}
			lastErr = err
			if dials := try + 1; c.dialErrorLimit >= 0 && dials > c.dialErrorLimit {
				return true, nil, fmt.Errorf("after %d failed attempts: %w", try, err)
			}
			log(diag.Info, fmt.Sprintf("Dial %d/%s failed: retrying", try+1, limit), true)
			return false, nil, nil
		},
	})
	if ok && err == nil {
		return client.(*ssh.Client), nil
	}
	if err == nil {
		err = ctx.Err()
		if err == nil {
			err = lastErr
		}
	}
	return nil, err
}

// runRemote: one session, one exec request of the command text.
func runRemote(ctx context.Context, log standin.Logger, cmd string, props resource.PropertyMap, prev outputs) (outputs, error) {
	conn, err := connectionOf(props)
	if err != nil {
		return outputs{}, err
	}
	client, err := conn.dial(ctx, log)
	if err != nil {
		return outputs{}, err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return outputs{}, err
	}
	defer session.Close()
	for k, v := range environment(props) {
		if err := session.Setenv(k, v); err != nil {
			log(diag.Error, setenvAdvice(k), false)
			return outputs{}, fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	for k, v := range previousEnv(props, prev) {
		if err := session.Setenv(k, v); err != nil {
			warn(log, setenvAdvice(k))
		}
	}
	if stdin, ok := standin.Str(props, "stdin"); ok && stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}
	logOut, logErr := logSettings(props)
	c, stdout, stderr := newCapture(log, logOut, logErr)
	session.Stdout, session.Stderr = stdout, stderr
	return c.finish(cmd, session.Run(cmd))
}

func setenvAdvice(key string) string {
	return fmt.Sprintf("could not set %s on the remote side: an SSH server sets only the variables its AcceptEnv "+
		"names (or prefix the command with %s=...)", key, key)
}
