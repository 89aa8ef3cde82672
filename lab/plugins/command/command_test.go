package command

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"golang.org/x/crypto/ssh"

	"v6k8s.local/lab/plugins/standin"
)

// sshServer is a minimal SSH server on 127.0.0.1: one exec request per session, run by
// /bin/sh -c with the session's stdin; "env" requests accepted only for names in acceptEnv.
type sshServer struct {
	addr      string
	hostKey   string // authorized_keys form
	clientKey string // PEM of the accepted client key
	mu        sync.Mutex
	execs     []string
	env       map[string]string
}

func startSSH(t *testing.T, acceptEnv ...string) *sshServer {
	t.Helper()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, _ := ssh.NewSignerFromKey(hostPriv)
	clientPub, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshClientPub, _ := ssh.NewPublicKey(clientPub)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == string(sshClientPub.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &sshServer{
		addr:      ln.Addr().String(),
		hostKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))),
		clientKey: string(pem.EncodeToMemory(block)),
		env:       map[string]string{},
	}
	accept := map[string]bool{}
	for _, e := range acceptEnv {
		accept[e] = true
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c, cfg, accept)
		}
	}()
	return s
}

func (s *sshServer) serve(c net.Conn, cfg *ssh.ServerConfig, accept map[string]bool) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, requests, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			env := []string{}
			for req := range requests {
				switch req.Type {
				case "env":
					var kv struct{ Name, Value string }
					_ = ssh.Unmarshal(req.Payload, &kv)
					ok := accept[kv.Name]
					if ok {
						env = append(env, kv.Name+"="+kv.Value)
						s.mu.Lock()
						s.env[kv.Name] = kv.Value
						s.mu.Unlock()
					}
					_ = req.Reply(ok, nil)
				case "exec":
					var p struct{ Command string }
					_ = ssh.Unmarshal(req.Payload, &p)
					s.mu.Lock()
					s.execs = append(s.execs, p.Command)
					s.mu.Unlock()
					_ = req.Reply(true, nil)
					cmd := exec.Command("/bin/sh", "-c", p.Command)
					cmd.Env = env
					cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
					code := 0
					if err := cmd.Run(); err != nil {
						code = 1
						if ee, ok := err.(*exec.ExitError); ok {
							code = ee.ExitCode()
						}
					}
					status := make([]byte, 4)
					binary.BigEndian.PutUint32(status, uint32(code))
					_, _ = ch.SendRequest("exit-status", false, status)
					return
				default:
					_ = req.Reply(false, nil)
				}
			}
		}()
	}
}

func (s *sshServer) connection(hostKey string) resource.PropertyValue {
	host, port, _ := net.SplitHostPort(s.addr)
	var p float64
	fmt.Sscan(port, &p)
	m := map[string]any{"host": host, "port": p, "user": "root", "privateKey": s.clientKey, "dialErrorLimit": 1.0, "perDialTimeout": 5.0}
	if hostKey != "" {
		m["hostKey"] = hostKey
	}
	return resource.MakeSecret(resource.NewPropertyValue(m))
}

type logged struct {
	mu    sync.Mutex
	lines []string
}

func (l *logged) log(sev diag.Severity, msg string, _ bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s: %s", sev, msg))
}

var remote = Provider().Types["command:remote:Command"]

func urn(name string) resource.URN {
	return resource.NewURN("lab", "v6k8s", "", "command:remote:Command", name)
}

func TestRemoteRunsTheTextAsOneExecWithStdinAndTrimsOneNewline(t *testing.T) {
	s := startSSH(t)
	props := resource.PropertyMap{
		"connection": s.connection(s.hostKey),
		"create":     resource.NewProperty("read line; printf '%s\\n\\n' \"got $line\"; echo err >&2"),
		"stdin":      resource.MakeSecret(resource.NewProperty("secret-line\n")),
		"triggers":   resource.NewProperty([]resource.PropertyValue{resource.NewProperty("h1")}),
	}
	l := &logged{}
	resp, err := remote.Create(context.Background(), l.log, plugin.CreateRequest{URN: urn("a"), Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Properties["stdout"].StringValue(); got != "got secret-line\n" {
		t.Fatalf("stdout %q, want one trailing newline removed", got)
	}
	if got := resp.Properties["stderr"].StringValue(); got != "err" {
		t.Fatalf("stderr %q", got)
	}
	if len(s.execs) != 1 || s.execs[0] != props["create"].StringValue() {
		t.Fatalf("exec requests %q", s.execs)
	}
	if !resp.Properties["stdin"].IsSecret() || !resp.Properties["connection"].IsSecret() {
		t.Fatal("echoed secret inputs must stay secret")
	}
	if !resp.Properties["triggers"].DeepEquals(props["triggers"]) {
		t.Fatal("triggers must be echoed")
	}
	if !strings.HasPrefix(string(resp.ID), "a") || len(resp.ID) != len("a")+8 {
		t.Fatalf("id %q: name plus 8 hex digits", resp.ID)
	}
}

func TestRemoteRefusesAHostWithAnotherKey(t *testing.T) {
	s := startSSH(t)
	other := startSSH(t)
	props := resource.PropertyMap{"connection": s.connection(other.hostKey), "create": resource.NewProperty("true")}
	_, err := remote.Create(context.Background(), (&logged{}).log, plugin.CreateRequest{URN: urn("b"), Properties: props})
	if err == nil || !strings.Contains(err.Error(), "host key mismatch") {
		t.Fatalf("want a host key mismatch, got %v", err)
	}
	if len(s.execs) != 0 {
		t.Fatal("nothing may run on a host whose key is not the pinned one")
	}
}

func TestRemoteFailureNamesTheCommandAndOutput(t *testing.T) {
	s := startSSH(t)
	props := resource.PropertyMap{"connection": s.connection(s.hostKey), "create": resource.NewProperty("echo oops; exit 3")}
	_, err := remote.Create(context.Background(), (&logged{}).log, plugin.CreateRequest{URN: urn("c"), Properties: props})
	if err == nil || !strings.Contains(err.Error(), "exited with status 3") || !strings.Contains(err.Error(), `running "echo oops; exit 3"`) ||
		!strings.Contains(err.Error(), "oops") {
		t.Fatalf("got %v", err)
	}
}

func TestUpdateRunsUpdateWithPreviousOutputsAndWarnsWhenRefused(t *testing.T) {
	s := startSSH(t, envStdout)
	news := resource.PropertyMap{
		"connection": s.connection(s.hostKey),
		"create":     resource.NewProperty("echo created"),
		"update":     resource.NewProperty("echo \"was $PULUMI_COMMAND_STDOUT\""),
	}
	olds := withOutputs(news, outputs{stdout: "key1", stderr: "e1"})
	l := &logged{}
	resp, err := remote.Update(context.Background(), l.log, plugin.UpdateRequest{URN: urn("d"), OldOutputs: olds, NewInputs: news})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Properties["stdout"].StringValue(); got != "was key1" {
		t.Fatalf("stdout %q", got)
	}
	// PULUMI_COMMAND_STDERR is refused by this server: a warning, not a failure.
	if len(l.lines) != 2 || !strings.HasPrefix(l.lines[0], "warning") || !strings.Contains(l.lines[0], envStderr) ||
		l.lines[1] != "info: was key1" {
		t.Fatalf("log %q: the refused variable's warning, then the output line", l.lines)
	}
}

func TestDiffTriggersAreUpdatesForTheEngineToReplace(t *testing.T) {
	olds := resource.PropertyMap{
		"create":   resource.NewProperty("x"),
		"triggers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("a")}),
	}
	news := standin.Copy(olds)
	news["triggers"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("b")})
	d, err := remote.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, NewInputs: news})
	if err != nil {
		t.Fatal(err)
	}
	if d.Changes != plugin.DiffSome || d.DetailedDiff["triggers[0]"].Kind != plugin.DiffUpdate || len(d.ReplaceKeys) != 0 {
		t.Fatalf("diff %+v", d)
	}
	same, _ := remote.Diff(context.Background(), plugin.DiffRequest{OldInputs: olds, NewInputs: standin.Copy(olds)})
	if same.Changes != plugin.DiffNone {
		t.Fatalf("no change must be DiffNone, got %+v", same)
	}
}

func TestPreviewOfACreateKnowsTheEchoedInputsNotTheOutputs(t *testing.T) {
	props := resource.PropertyMap{"triggers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("peers")})}
	local := Provider().Types["command:local:Command"]
	resp, err := local.Create(context.Background(), (&logged{}).log, plugin.CreateRequest{URN: urn("e"), Properties: props, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Properties["stdout"].IsComputed() || resp.Properties["triggers"].ContainsUnknowns() {
		t.Fatalf("preview state %v", resp.Properties)
	}
}

func TestLocalCommandGetsEnvironmentAndStdinAndDeleteRunsFromState(t *testing.T) {
	local := Provider().Types["command:local:Command"]
	props := resource.PropertyMap{
		"create":      resource.NewProperty("cat; echo \" $GREETING\""),
		"delete":      resource.NewProperty("echo \"bye $PULUMI_COMMAND_STDOUT\" >&2; exit 4"),
		"stdin":       resource.NewProperty("hello"),
		"environment": resource.NewPropertyValue(map[string]any{"GREETING": "world"}),
	}
	resp, err := local.Create(context.Background(), (&logged{}).log, plugin.CreateRequest{URN: urn("f"), Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Properties["stdout"].StringValue(); got != "hello world" {
		t.Fatalf("stdout %q", got)
	}
	err = local.Delete(context.Background(), (&logged{}).log, plugin.DeleteRequest{URN: urn("f"), Outputs: resp.Properties})
	if err == nil || !strings.Contains(err.Error(), "bye hello world") {
		t.Fatalf("delete must run with the previous stdout and fail with its output: %v", err)
	}
}
