package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer that a running command writes while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs the program with args and stdin and returns its exit code,
// stdout and stderr.
func runCmd(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut syncBuffer
	code := run(context.Background(), args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, exitUsage, "commands:"},
		{"help", []string{"help"}, exitOK, "commands:"},
		{"unknown", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"init help", []string{"init", "-help"}, exitOK, "-alg"},
		{"onboard help", []string{"onboard", "-help"}, exitOK, "-password-file"},
		{"show help", []string{"show", "-help"}, exitOK, "-state"},
		{"requests help", []string{"requests", "-help"}, exitOK, "-api"},
		{"approve help", []string{"approve", "-help"}, exitOK, "-number"},
		{"deny help", []string{"deny", "-help"}, exitOK, "-reason"},
		{"claim help", []string{"claim", "-help"}, exitOK, "-qr"},
		{"wait help", []string{"wait", "-help"}, exitOK, "-timeout"},
		{"onboard help sms-dir", []string{"onboard", "-help"}, exitOK, "-sms-dir"},
		{"id and all", []string{"approve", "-id", "x", "-all"}, exitUsage, "not both"},
		{"bad wait poll", []string{"wait", "-poll", "0s"}, exitUsage, "-poll must be positive"},
		{"bad api", []string{"onboard", "-server", "http://127.0.0.1:1", "-app", "A", "-api", "x"}, exitUsage, "-api must be"},
		{"bad flag", []string{"init", "-nope"}, exitUsage, "-nope"},
		{"positional", []string{"show", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"bad alg", []string{"init", "-key", filepath.Join(t.TempDir(), "k"), "-alg", "rsa"}, exitUsage, `-alg "rsa"`},
		{"bad size", []string{"init", "-key", filepath.Join(t.TempDir(), "k"), "-size", "5"}, exitUsage, "-size 5"},
		{"no server", []string{"onboard", "-app", "Bank"}, exitUsage, "-server is required"},
		{"no app", []string{"onboard", "-server", "http://127.0.0.1:1"}, exitUsage, "-app is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCmd(t, nil, tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestInit(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"p256", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			key := filepath.Join(dir, "device.key")
			code, out, errOut := runCmd(t, nil, "init", "-key", key, "-alg", alg,
				"-png", filepath.Join(dir, "k.png"), "-svg", filepath.Join(dir, "k.svg"))
			require.Equal(t, exitOK, code, errOut)
			assert.Equal(t, os.FileMode(0o600), mode(t, key))
			assert.Regexp(t, `fingerprint: [0-9a-f]{64}\n`, out)
			assert.Regexp(t, `code:        [0-9]{4} [0-9]{4}\n`, out)
			png, err := os.ReadFile(filepath.Join(dir, "k.png"))
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
			svg, err := os.ReadFile(filepath.Join(dir, "k.svg"))
			require.NoError(t, err)
			assert.Contains(t, string(svg), "<svg")

			// show prints the same fingerprint and code.
			code, shown, errOut := runCmd(t, nil, "show", "-key", key)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, shown, out[strings.Index(out, "fingerprint:"):strings.Index(out, "picture:")])
			assert.Contains(t, shown, "certificate: none")
		})
	}
}

// TestInitRefusesOverwrite: a second init leaves the key alone.
func TestInitRefusesOverwrite(t *testing.T) {
	t.Parallel()
	key := filepath.Join(t.TempDir(), "device.key")
	code, _, errOut := runCmd(t, nil, "init", "-key", key)
	require.Equal(t, exitOK, code, errOut)
	before, err := os.ReadFile(key)
	require.NoError(t, err)

	code, _, errOut = runCmd(t, nil, "init", "-key", key, "-alg", "ed25519")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "never overwrites")
	after, err := os.ReadFile(key)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, os.FileMode(0o600), mode(t, key))
}

func TestKeyFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, errOut := runCmd(t, nil, "show", "-key", filepath.Join(dir, "missing.key"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "init -key")

	open := filepath.Join(dir, "open.key")
	code, _, errOut = runCmd(t, nil, "init", "-key", open)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, os.Chmod(open, 0o644))
	code, _, errOut = runCmd(t, nil, "show", "-key", open)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "chmod 600")

	code, _, errOut = runCmd(t, nil, "init", "-key", filepath.Join(dir, "no", "such", "dir.key"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "does not exist")
}

func TestCallbackParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"https://app.example/cb?state=s1&code=c1", map[string]string{"state": "s1", "code": "c1"}, ""},
		{"  usher://callback?code=c%2B1&state=s1&x=y\n", map[string]string{"state": "s1", "code": "c+1"}, ""},
		{"https://app.example/cb#state=s1&id_token=t", map[string]string{"state": "s1", "id_token": "t"}, ""},
		{"state=s1&error=access_denied", map[string]string{"state": "s1", "error": "access_denied"}, ""},
		{"?state=s1&code=c", map[string]string{"state": "s1", "code": "c"}, ""},
		{"https://app.example/cb?code=c", nil, "no state"},
		{"", nil, "no state"},
		{"state=%zz", nil, "not a callback address"},
	} {
		got, err := callbackParams(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzCallbackParams: what a person pastes never panics, and a result
// always has a state.
func FuzzCallbackParams(f *testing.F) {
	f.Add("https://app.example/cb?state=s&code=c")
	f.Add("#state=s&id_token=t")
	f.Add("state=%zz")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := callbackParams(s)
		if err == nil && got["state"] == "" {
			t.Fatalf("no state in %q", got)
		}
	})
}
