package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

// runToken runs "server token …" with an empty environment unless env
// has values, and returns the exit code and both outputs.
func runToken(env map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := tokenCommand(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestTokenCreate: "token create" makes a token on the database of a
// running server, printed alone on stdout, that the server accepts with
// exactly its scopes; it is listed and audited like one made on the admin
// page.
func TestTokenCreate(t *testing.T) {
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "data", "usher.db")
	ts := startTestServer(t, cfg)

	code, out, errOut := runToken(nil, "create", "-name", "quick start", "-scopes", "users:read, users:write", "-database", cfg.Database)
	require.Equal(t, 0, code, errOut)
	secret, ok := strings.CutSuffix(out, "\n")
	require.True(t, ok, "one line on stdout: %q", out)
	require.NotContains(t, secret, "\n")
	require.True(t, strings.HasPrefix(secret, "ush_"), secret)
	assert.NotContains(t, errOut, secret, "the secret goes to stdout only")
	assert.Contains(t, errOut, `token "quick start"`)

	assert.Equal(t, http.StatusOK, ts.api(secret, "GET", "/api/v1/users", nil).StatusCode)
	assert.Equal(t, http.StatusCreated, ts.api(secret, "POST", "/api/v1/users", map[string]any{"username": "jdoe"}).StatusCode)
	assert.Equal(t, http.StatusForbidden, ts.api(secret, "GET", "/api/v1/applications", nil).StatusCode, "no onboarding scope")

	tokens, err := ts.app.server.tokens(context.Background())
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	assert.Equal(t, "quick start", tokens[0].Name)
	assert.Equal(t, []string{scopeUsersRead, scopeUsersWrite}, tokens[0].Scopes)
	assert.Equal(t, tokenCommandBy, tokens[0].CreatedBy)
	assert.True(t, tokens[0].ExpiresAt.IsZero())

	var audited []userstore.AuditEvent
	for ev, err := range ts.app.users.Audit(context.Background(), userstore.AuditFilter{Kind: "admin.token_created"}) {
		require.NoError(t, err)
		audited = append(audited, ev)
	}
	require.Len(t, audited, 1)
	assert.Equal(t, tokens[0].ID, audited[0].Detail["token_id"])
	assert.Equal(t, tokenCommandBy, audited[0].Login)

	// "all", a validity, and the database from the environment as for the server.
	code, out, errOut = runToken(map[string]string{"USHER_DATABASE": cfg.Database}, "create", "-name=every", "-scopes=all", "-ttl=1h")
	require.Equal(t, 0, code, errOut)
	all := strings.TrimSpace(out)
	for _, path := range []string{"/api/v1/users", "/api/v1/applications", "/api/v1/groups"} {
		assert.Equal(t, http.StatusOK, ts.api(all, "GET", path, nil).StatusCode, path)
	}
	tokens, err = ts.app.server.tokens(context.Background())
	require.NoError(t, err)
	require.Len(t, tokens, 2)
	for _, tok := range tokens {
		if tok.Name == "every" {
			assert.Equal(t, knownScopes(), tok.Scopes)
			assert.WithinDuration(t, time.Now().Add(time.Hour), tok.ExpiresAt, time.Minute)
		}
	}
}

// TestTokenCreateWhileTheServerWrites: tokens made from the command line
// while the server writes to the same SQLite file all work, and neither
// side fails on a busy database.
func TestTokenCreateWhileTheServerWrites(t *testing.T) {
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	ts := startTestServer(t, cfg)
	admin := ts.token(scopeUsersWrite)

	const n = 5
	var wg sync.WaitGroup
	statuses := make(chan int, 4*n)
	for i := range 4 * n {
		wg.Go(func() {
			r := ts.api(admin, "POST", "/api/v1/users", map[string]any{"username": fmt.Sprintf("u%d", i)})
			statuses <- r.StatusCode
		})
	}
	secrets := make([]string, n)
	errs := make([]string, n)
	for i := range n {
		wg.Go(func() {
			code, out, errOut := runToken(nil, "create", "-name", fmt.Sprintf("cli %d", i), "-scopes", "users:read", "-database", cfg.Database)
			if code != 0 {
				errs[i] = errOut
			}
			secrets[i] = strings.TrimSpace(out)
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Equal(t, http.StatusCreated, s)
	}
	for i, s := range secrets {
		require.Empty(t, errs[i])
		assert.Equal(t, http.StatusOK, ts.api(s, "GET", "/api/v1/users", nil).StatusCode)
	}
}

// TestTokenCommandRefusals: usage mistakes exit 2 and print nothing on
// stdout; a database the server has not made exits 1 and is not created.
func TestTokenCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(dir, "usher.db")
	startTestServer(t, cfg)
	missing := filepath.Join(dir, "nothing-here.db")
	db := "-database=" + cfg.Database

	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no subcommand", nil, 2, "usage:"},
		{"unknown subcommand", []string{"list"}, 2, `unknown subcommand "list"`},
		{"help", []string{"-help"}, 0, "usage:"},
		{"create help", []string{"create", "-help"}, 0, "-scopes LIST"},
		{"no name", []string{"create", "-scopes", "all", db}, 2, "-name is required"},
		{"blank name", []string{"create", "-name", "  ", "-scopes", "all", db}, 2, "-name is required"},
		{"no scopes", []string{"create", "-name", "x", db}, 2, "-scopes is required"},
		{"unknown scope", []string{"create", "-name", "x", "-scopes", "users:read,root", db}, 2, `unknown scope "root"`},
		{"long name", []string{"create", "-name", strings.Repeat("n", maxTokenName+1), "-scopes", "all", db}, 2, "a name of 1 to"},
		{"negative ttl", []string{"create", "-name", "x", "-scopes", "all", "-ttl", "-1h", db}, 2, "-ttl"},
		{"ttl too long", []string{"create", "-name", "x", "-scopes", "all", "-ttl", "100000h", db}, 2, "-ttl"},
		{"unknown flag", []string{"create", "-name", "x", "-scopes", "all", "-frobnicate", db}, 2, "frobnicate"},
		{"extra argument", []string{"create", "-name", "x", "-scopes", "all", db, "more"}, 2, `unexpected argument "more"`},
		{"bad server setting", []string{"create", "-name", "x", "-scopes", "all", db, "-log-level", "loud"}, 2, "log-level"},
		{"no database", []string{"create", "-name", "x", "-scopes", "all", "-database", "sqlite:" + missing}, 1, "start the server once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runToken(nil, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.says)
		})
	}
	_, err := os.Stat(missing)
	assert.True(t, os.IsNotExist(err), "a missing database is not created")
}
