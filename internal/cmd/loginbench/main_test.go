package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
)

// The test binary doubles as the worker process of the failed-login run.
func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		if err := runWorker(context.Background(), spec, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loginbench worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tiny runs the whole benchmark with small numbers: it checks that both
// paths log in and that the report is complete, not how fast they are.
func tiny() options {
	return options{users: 5, logins: 10, rounds: 1, clients: 4, duration: 100 * time.Millisecond, goal: 1.5,
		failClients: 4, procs: 2, failRounds: 1, failGoal: 0.9, maxFailed: -1}
}

func TestRunSQLite(t *testing.T) {
	o := tiny()
	o.sqlite = t.TempDir() + "/bench.db"
	var out bytes.Buffer
	_, err := run(context.Background(), o, &out)
	require.NoError(t, err)
	assert.Regexp(t, `sqlite +[0-9.]+ µs +[0-9.]+ µs +[0-9.]+x`, out.String())
	assert.Contains(t, out.String(), "postgres   skipped")
}

func TestRunPostgres(t *testing.T) {
	o := tiny()
	o.dsn = testenv.Postgres(t)
	var out bytes.Buffer
	_, err := run(context.Background(), o, &out)
	require.NoError(t, err)
	assert.Regexp(t, `postgres +[0-9.]+ µs +[0-9.]+ µs +[0-9.]+x`, out.String())
	assert.Regexp(t, `postgres +4 concurrent clients, 100ms: Usher +[0-9]+ logins/s`, out.String())
	assert.Regexp(t, `postgres +failed logins, 4 clients in 2 processes, 5 accounts, 100ms x 1 rounds \(median\): bare SQL +[0-9]+/s +Usher +[0-9]+/s +[0-9.]+x +goal >= 0.90x`, out.String())
	assert.NotContains(t, out.String(), "warning")
}

func TestRunRejectsBadOptions(t *testing.T) {
	_, err := run(context.Background(), options{}, &bytes.Buffer{})
	assert.Error(t, err)
}
