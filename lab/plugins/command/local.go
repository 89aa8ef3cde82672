package command

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"

	"v6k8s.local/lab/plugins/standin"
)

func localCheck(news resource.PropertyMap) []plugin.CheckFailure {
	return notImplemented(news, "assetPaths", "archivePaths")
}

// runLocal: `/bin/sh -c <command>` (or `interpreter` + command) in `dir`, the plugin's environment
// plus `environment` and the previous outputs.
func runLocal(ctx context.Context, log standin.Logger, cmd string, props resource.PropertyMap, prev outputs) (outputs, error) {
	argv := standin.Strings(props, "interpreter")
	if len(argv) == 0 {
		argv = []string{"/bin/sh", "-c"}
	}
	argv = append(argv, cmd)
	proc := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // running the given command is the point
	if dir, ok := standin.Str(props, "dir"); ok {
		proc.Dir = dir
	} else if wd, err := os.Getwd(); err == nil {
		proc.Dir = wd
	} else {
		return outputs{}, err
	}
	proc.Env = os.Environ()
	for k, v := range environment(props) {
		proc.Env = append(proc.Env, fmt.Sprintf("%s=%s", k, v))
	}
	for k, v := range previousEnv(props, prev) {
		proc.Env = append(proc.Env, fmt.Sprintf("%s=%s", k, v))
	}
	if stdin, ok := standin.Str(props, "stdin"); ok && stdin != "" {
		proc.Stdin = strings.NewReader(stdin)
	}
	logOut, logErr := logSettings(props)
	c, stdout, stderr := newCapture(log, logOut, logErr)
	proc.Stdout, proc.Stderr = stdout, stderr
	return c.finish(cmd, proc.Run())
}
