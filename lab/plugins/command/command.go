// Package command is the lab's stand-in for pulumi-resource-command 1.2.1: `command:remote:Command`
// and `command:local:Command`, with the inputs the program uses and the behaviour the provider
// documents (its schema and API docs, as shipped in @pulumi/command 1.2.1's remote/command.d.ts,
// local/command.d.ts and types/input.d.ts):
//
//   - Every input is echoed as an output of the same name, with its secretness; `stdout` and
//     `stderr` are the last create/update run's, without one trailing newline. In a preview a new
//     command's `stdout`/`stderr` are unknown, its echoed inputs known (so a relay's `triggers`
//     flow on); an updated one's are unknown too.
//   - A change of any input is an update: it runs `update`, or `create` when there is no `update`
//     ("If an `update` command isn't provided, then `create` will also be run when the resource's
//     inputs are modified"). `triggers` replace: the SDK registers every Command with
//     `replaceOnChanges: ["triggers[*]"]`, so the engine replaces on a changed trigger; this
//     plugin, like the real one, reports it as an ordinary change. A replacement creates the new
//     command, then runs the old one's `delete` with the old inputs (the engine's order).
//   - `delete` runs on deletion with the state's connection; `PULUMI_COMMAND_STDOUT` and
//     `PULUMI_COMMAND_STDERR` carry the previous run's outputs to `update` and `delete`
//     (`addPreviousOutputInEnv`, default true), through the SSH session's environment for a
//     remote command: a server without AcceptEnv for them gets a warning, not a failure;
//     `environment` that the server refuses is a failure ("this only works if the SSH server is
//     configured to accept these variables via AcceptEnv").
//   - A remote command is ONE SSH exec request of the command text, stdin attached when `stdin`
//     is set, to `connection.host`:`port` as `user` with `privateKey` (or `password`, or the
//     agent), the host key pinned when `hostKey` is set (only that key's algorithm offered);
//     dialling is retried up to `dialErrorLimit` times (default 10; -1 unlimited), each attempt
//     bounded by `perDialTimeout` seconds (default 15).
//   - A failed command fails the step with "<exit status>: running <command>:\n<stdout+stderr>";
//     output lines are shown as the command runs (`logging`, default stdout and stderr).
//   - A local command runs `/bin/sh -c` (or `interpreter`) in `dir` (default the plugin's working
//     directory) with the plugin's environment plus `environment`.
//
// Not implemented (the program uses none; each is refused by Check naming the input):
// `connection.proxy`, `assetPaths`, `archivePaths`.
package command

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"

	"v6k8s.local/lab/plugins/standin"
)

// Version is the @pulumi/command release this stand-in mimics (checked against package.json by
// test/lab/standins.test.ts).
const Version = "1.2.1"

const (
	envStdout = "PULUMI_COMMAND_STDOUT"
	envStderr = "PULUMI_COMMAND_STDERR"
)

// Provider is the stand-in plugin.
func Provider() *standin.Provider {
	return &standin.Provider{
		Name:    "command",
		Version: Version,
		Types: map[string]standin.Type{
			"command:remote:Command": commandType(remoteCheck, runRemote),
			"command:local:Command":  commandType(localCheck, runLocal),
		},
	}
}

// runner runs one command text for a resource whose inputs (or state) are `props`; `prev` are
// the previous run's outputs (for PULUMI_COMMAND_*).
type runner func(ctx context.Context, log standin.Logger, cmd string, props resource.PropertyMap, prev outputs) (outputs, error)

type outputs struct{ stdout, stderr string }

func commandType(check func(resource.PropertyMap) []plugin.CheckFailure, run runner) standin.Type {
	return standin.Type{
		Check: func(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
			news := standin.Copy(req.News)
			for k := range news {
				// The engine's own inputs, which the real provider drops too.
				if k == "version" || len(k) > 1 && k[:2] == "__" {
					delete(news, k)
				}
			}
			// The connection is a secret input and output (schema: `provider:"secret"`).
			if c, ok := news["connection"]; ok && !c.IsSecret() && !c.IsComputed() {
				news["connection"] = standin.Secret(c)
			}
			return plugin.CheckResponse{Properties: news, Failures: check(news)}, nil
		},
		Diff: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
			// Every change is an update; the engine replaces on `triggers[*]` (see the package doc).
			return standin.InputDiff(req.OldInputs, req.NewInputs, func(string) bool { return false }), nil
		},
		Create: func(ctx context.Context, log standin.Logger, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			id, err := resource.NewUniqueHex(req.URN.Name(), 8, 0)
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			state := withOutputs(req.Properties, outputs{})
			if req.Preview {
				state["stdout"], state["stderr"] = standin.Computed(), standin.Computed()
				return plugin.CreateResponse{ID: resource.ID(id), Properties: state}, nil
			}
			cmd, ok := standin.Str(req.Properties, "create")
			if !ok {
				return plugin.CreateResponse{ID: resource.ID(id), Properties: state}, nil
			}
			out, err := run(ctx, log, cmd, req.Properties, outputs{})
			if err != nil {
				return plugin.CreateResponse{}, err
			}
			return plugin.CreateResponse{ID: resource.ID(id), Properties: withOutputs(req.Properties, out)}, nil
		},
		Update: func(ctx context.Context, log standin.Logger, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
			prev := previous(req.OldOutputs)
			if req.Preview {
				state := withOutputs(req.NewInputs, prev)
				if changedOrUnknown(req.OldOutputs, req.NewInputs) {
					state["stdout"], state["stderr"] = standin.Computed(), standin.Computed()
				}
				return plugin.UpdateResponse{Properties: state}, nil
			}
			cmd, ok := standin.Str(req.NewInputs, "update")
			if !ok {
				cmd, ok = standin.Str(req.NewInputs, "create")
			}
			if !ok {
				return plugin.UpdateResponse{Properties: withOutputs(req.NewInputs, prev)}, nil
			}
			out, err := run(ctx, log, cmd, req.NewInputs, prev)
			if err != nil {
				return plugin.UpdateResponse{}, err
			}
			return plugin.UpdateResponse{Properties: withOutputs(req.NewInputs, out)}, nil
		},
		Delete: func(ctx context.Context, log standin.Logger, req plugin.DeleteRequest) error {
			cmd, ok := standin.Str(req.Outputs, "delete")
			if !ok {
				return nil
			}
			_, err := run(ctx, log, cmd, req.Outputs, previous(req.Outputs))
			return err
		},
	}
}

// withOutputs is the state: every input echoed (same value, same secretness) plus stdout/stderr.
func withOutputs(inputs resource.PropertyMap, out outputs) resource.PropertyMap {
	state := standin.Copy(inputs)
	delete(state, "stdout")
	delete(state, "stderr")
	state["stdout"] = resource.NewProperty(out.stdout)
	state["stderr"] = resource.NewProperty(out.stderr)
	return state
}

func previous(state resource.PropertyMap) outputs {
	o, _ := standin.Str(state, "stdout")
	e, _ := standin.Str(state, "stderr")
	return outputs{stdout: o, stderr: e}
}

// changedOrUnknown: an update preview cannot know the outputs when an input is unknown or differs
// from the old state's value of the same name.
func changedOrUnknown(olds, news resource.PropertyMap) bool {
	for k, v := range news {
		if v.ContainsUnknowns() {
			return true
		}
		if old, ok := olds[k]; ok && !old.DeepEquals(v) {
			return true
		}
	}
	return false
}

// previousEnv is PULUMI_COMMAND_STDOUT/STDERR for a run, unless addPreviousOutputInEnv is false.
func previousEnv(props resource.PropertyMap, prev outputs) map[string]string {
	env := map[string]string{}
	if !standin.Bool(props, "addPreviousOutputInEnv", true) {
		return env
	}
	if prev.stdout != "" {
		env[envStdout] = prev.stdout
	}
	if prev.stderr != "" {
		env[envStderr] = prev.stderr
	}
	return env
}

func environment(props resource.PropertyMap) map[string]string {
	env := map[string]string{}
	for k, v := range standin.Obj(props, "environment") {
		if v = standin.Plain(v); v.IsString() {
			env[string(k)] = v.StringValue()
		}
	}
	return env
}

// logSettings: which streams are shown as the command runs (`logging`).
func logSettings(props resource.PropertyMap) (stdout, stderr bool) {
	l, ok := standin.Str(props, "logging")
	if !ok {
		return true, true
	}
	return l == "stdout" || l == "stdoutAndStderr", l == "stderr" || l == "stdoutAndStderr"
}

func failure(key, reason string) plugin.CheckFailure {
	return plugin.CheckFailure{Property: resource.PropertyKey(key), Reason: reason}
}

func notImplemented(news resource.PropertyMap, keys ...string) []plugin.CheckFailure {
	var f []plugin.CheckFailure
	for _, k := range keys {
		if _, ok := standin.Get(news, k); ok {
			f = append(f, failure(k, fmt.Sprintf("%s is not implemented by the lab's stand-in for pulumi-resource-command", k)))
		}
	}
	return f
}

func warn(log standin.Logger, msg string) { log(diag.Warning, msg, false) }
