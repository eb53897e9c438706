//go:build unix

package quickstart

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
)

// Markers around the quick start's one sh block in README.md.
const (
	beginMarker = "<!-- quickstart:begin -->"
	endMarker   = "<!-- quickstart:end -->"
)

// timeout bounds the whole quick start, go build included.
const timeout = 5 * time.Minute

// TestQuickStart runs the README's quick start as written and checks that
// it ends as the README says: the users imported, the device onboarded,
// the request approved, the receiver's "verified" line for the signed
// callback, and nothing left running.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick start builds the server, the simulator and the receiver and runs them (skipped with -short)")
	}
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "the quick start needs " + tool + " on PATH; `make test` installs curl"
			if testenv.InCI() {
				t.Fatal(msg + " (CI=true: a missing tool fails the run)")
			}
			t.Skip(msg)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	script, err := extract(string(readme))
	require.NoError(t, err)

	tmp := t.TempDir()
	path := filepath.Join(tmp, "quickstart.sh")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o600))
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp) // mktemp -d makes $QS in tmp
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out // stdin is /dev/null: the last read ends at once
	// The script and the programs it starts in the background are one
	// process group, stopped together on a timeout or a failed test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	t.Logf("the quick start took %s", time.Since(start).Round(time.Millisecond))
	require.NotNil(t, cmd.Process, "bash did not start: %v", err)
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	if err != nil || t.Failed() {
		t.Logf("output:\n%s%s", out.String(), logs(tmp))
	}
	require.NoError(t, err, "the quick start failed (within %s)", timeout)

	got := out.String()
	assert.Contains(t, got, `"format":"notakey","created":2`)
	assert.Contains(t, got, "Credentials accepted.")
	assert.Regexp(t, `(?m)^Onboarded: device [0-9a-f]+\.$`, got)
	assert.Regexp(t, `(?m)^Approved [0-9a-f]+: approved\.$`, got)
	assert.Regexp(t, `(?m)^\{"auth_req_id":"[0-9a-f]+","status":"approved"`, got)
	assert.Regexp(t, regexp.MustCompile(`(?m)^verified msg_[0-9a-f]+ POST /hook \{"event": "Approve", "user": "alice", "response": "approve"\}$`), got)
	assert.NotContains(t, got, "REFUSED", "every callback's signature verifies")
	if t.Failed() {
		t.Logf("output:\n%s%s", got, logs(tmp))
	}

	// The trap stopped the server and the receiver: the group empties.
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the quick start left processes running")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// extract returns the sh block between the quick start's markers.
func extract(readme string) (string, error) {
	_, rest, ok := strings.Cut(readme, beginMarker)
	if !ok {
		return "", errors.New("README.md has no " + beginMarker)
	}
	block, _, ok := strings.Cut(rest, endMarker)
	if !ok {
		return "", errors.New("README.md has no " + endMarker + " after " + beginMarker)
	}
	block = strings.TrimSpace(block)
	body, ok := strings.CutPrefix(block, "```sh\n")
	if !ok {
		return "", errors.New("the quick start's markers hold no ```sh block")
	}
	body, ok = strings.CutSuffix(body, "\n```")
	if !ok || strings.Contains(body, "\n```") {
		return "", errors.New("the quick start's markers must hold exactly one ```sh block")
	}
	return body + "\n", nil
}

// logs returns the log files the quick start left in its folders, for a
// failure's report.
func logs(tmp string) string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(tmp, "*", "*.log"))
	more, _ := filepath.Glob(filepath.Join(tmp, "*", "*.out"))
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		b.WriteString("\n--- " + f + "\n")
		b.Write(data)
	}
	return b.String()
}
