package command

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"

	"v6k8s.local/lab/plugins/standin"
)

// capture collects a run's stdout, stderr and both interleaved (for the error message), and shows
// the streams `logging` selects line by line as status messages while the command runs.
type capture struct {
	stdout, stderr bytes.Buffer
	both           lockedBuffer
	pipe           *io.PipeWriter
	done           chan struct{}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newCapture(log standin.Logger, logStdout, logStderr bool) (*capture, io.Writer, io.Writer) {
	r, w := io.Pipe()
	c := &capture{pipe: w, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		s := bufio.NewScanner(r)
		s.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for s.Scan() {
			log(diag.Info, s.Text(), true)
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	out := []io.Writer{&c.stdout, &c.both}
	if logStdout {
		out = append(out, w)
	}
	errw := []io.Writer{&c.stderr, &c.both}
	if logStderr {
		errw = append(errw, w)
	}
	return c, io.MultiWriter(out...), io.MultiWriter(errw...)
}

// finish waits for the log lines, then returns the outputs or the provider's error for a failed run.
func (c *capture) finish(cmd string, runErr error) (outputs, error) {
	_ = c.pipe.Close()
	<-c.done
	if runErr != nil {
		return outputs{}, fmt.Errorf("%w: running %q:\n%s", runErr, cmd, c.both.String())
	}
	return outputs{
		stdout: strings.TrimSuffix(c.stdout.String(), "\n"),
		stderr: strings.TrimSuffix(c.stderr.String(), "\n"),
	}, nil
}
