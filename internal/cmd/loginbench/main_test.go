package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
)

// tiny runs the whole benchmark with small numbers: it checks that both
// paths log in and that the report is complete, not how fast they are.
func tiny() options {
	return options{users: 5, logins: 10, rounds: 1, clients: 4, duration: 100 * time.Millisecond, goal: 1.5}
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
}

func TestRunRejectsBadOptions(t *testing.T) {
	_, err := run(context.Background(), options{}, &bytes.Buffer{})
	assert.Error(t, err)
}
