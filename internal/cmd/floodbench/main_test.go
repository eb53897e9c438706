package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary be floodbench's child process: with
// FLOODBENCH_TEST_CHILD set it runs main on its arguments instead of the
// tests.
func TestMain(m *testing.M) {
	if os.Getenv("FLOODBENCH_TEST_CHILD") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testCommand runs the test binary as the child.
func testCommand(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, os.Args[0], args...)
	c.Env = append(os.Environ(), "FLOODBENCH_TEST_CHILD=1")
	return c
}

// TestRun runs the whole benchmark with a few logins and a memory budget
// for three unbounded ones: it checks the report, not the figures.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	o := options{logins: 6, users: 2, unboundedMiB: 3*argon2MiB*115/100 + 1}
	require.NoError(t, run(context.Background(), o, &out, testCommand))
	report := out.String()
	t.Log("\n" + report)
	assert.Contains(t, report, "the unbounded run fires 3 logins")
	assert.Regexp(t, `\nbounded +[0-9]+ +6 +[0-9]+ MiB +[0-9.]+ +[0-9.]+s`, report)
	assert.Regexp(t, `\nunbounded +none +3 +[0-9]+ MiB +[0-9.]+ +[0-9.]+s`, report)
	assert.Regexp(t, `\nbounded +[0-9]+ +3 +[0-9]+ MiB`, report, "the bounded setting again, at the unbounded run's number")
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []options{
		{logins: 0, users: 1, unboundedMiB: 100},
		{logins: 1, users: 0, unboundedMiB: 100},
		{logins: 1, users: 1, unboundedMiB: 1}, // no room for one login
	} {
		assert.Error(t, run(context.Background(), o, &bytes.Buffer{}, testCommand), "%+v", o)
	}
	assert.Error(t, runChild(context.Background(), options{child: "sideways", logins: 1, users: 1}, &bytes.Buffer{}))
}
