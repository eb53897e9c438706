package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

func TestTransient(t *testing.T) {
	t.Parallel()
	refusedBind := fmt.Errorf("ldap: service bind as %q: %w: %w", "cn=sync", directory.ErrUnavailable,
		goldap.NewError(goldap.LDAPResultInvalidCredentials, errors.New("invalid credentials")))
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"source unreachable", fmt.Errorf("ldap: search: %w: %w", directory.ErrUnavailable, &net.OpError{Op: "dial", Err: errors.New("refused")}), true},
		{"network error", &net.OpError{Op: "read", Err: errors.New("reset")}, true},
		{"timeout", fmt.Errorf("store: %w", context.DeadlineExceeded), true},
		{"interrupted", context.Canceled, true},
		{"wrong bind password", refusedBind, false},
		{"malformed file", errors.New("csv: line 3: 2 fields, want 6"), false},
		{"bad setting", errors.New(`setting "store": unknown scheme`), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, transient(tt.err), tt.name)
	}
}

// A malformed CSV file is not a fault that running again gets past: the
// agent names the line and does not say "run again".
func TestMalformedFileIsNotToldToRunAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(3))
	h.ok("sync")
	f, err := os.OpenFile(h.csv, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("\"unterminated,quote\n")
	_ = f.Close()
	r := h.run("sync")
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "line 5")
	assert.NotContains(t, r.stderr, "run again")
}

// maxDeactivateShare 0 means no deactivation without --force (before, it
// was taken as unset and meant 20%).
func TestZeroDeactivateShareDeactivatesNobodyUnforced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))
	h.ok("init", "--yes", "--overwrite", "--org-id", testOrg, "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db, "--max-deactivate-share", "0")
	h.ok("sync")
	writeCSV(t, h.csv, staff(5)) // one of six gone: within the default 20%
	r := h.run("deactivate")
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "no deactivation is allowed without forcing it")
	assert.Contains(t, r.stderr, "--force")
	assert.NotContains(t, r.stderr, "Force ")
	h.ok("deactivate", "--force")
	assert.Len(t, enabledUsers(h), 5)
}

func enabledUsers(h *harness) []string {
	var out []string
	for _, u := range h.users() {
		if u.Enabled {
			out = append(out, u.Username)
		}
	}
	return out
}

// A bad server URL is refused before any key or file is written.
func TestInitChecksTheServerURLFirst(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"usher.example.com", "ftp://usher.example.com", "http://usher.example.com", "https://usher.example.com/?x=1", "https://user:pw@usher.example.com"} {
		dir := t.TempDir()
		h := &harness{t: t, dir: dir, config: dir + "/usher-sync.json", csv: dir + "/users.csv", db: dir + "/users.db"}
		writeCSV(t, h.csv, staff(2))
		r := h.run("init", "--yes", "--config", h.config, "--org-id", testOrg, "--server", server, "--token", "tok", "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db)
		assert.NotEqual(t, exitOK, r.code, server)
		assert.Contains(t, r.stderr, "--server", server)
		entries, err := os.ReadDir(dir)
		assert.NoError(t, err)
		for _, e := range entries {
			assert.Equal(t, "users.csv", e.Name(), "%s: nothing but the CSV file may exist", server)
		}
	}
	assert.NoError(t, checkServerURL("http://127.0.0.1:8080"), "http to loopback, for tests")
	assert.NoError(t, checkServerURL("https://usher.example.com/base"))
}

// init writes the LDAP source's name, which keys every synced user, into
// the configuration, so that changing the URL to another name of the same
// server does not orphan them.
func TestInitWritesTheLDAPSourceName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, config: dir + "/usher-sync.json", csv: dir + "/users.csv", db: dir + "/users.db"}
	r := h.ok("init", "--yes", "--config", h.config, "--org-id", testOrg, "--source", "ldap",
		"--ldap-url", "ldap://127.0.0.1:1", "--ldap-base-dn", "dc=example,dc=test", "--store", "sqlite:"+h.db)
	assert.Contains(t, r.stdout, `source name "127.0.0.1" (setting source.ldap.name)`)
	cfg, err := loadConfig(h.config)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", cfg.Source.LDAP.Name)
}

// A 10 MB field is not synced and not echoed: the entry is skipped and
// named with the field's size.
func TestHugeFieldIsSkippedAndNotEchoed(t *testing.T) {
	t.Parallel()
	users := staff(3)
	users[2].name = strings.Repeat("x", 10<<20)
	h := newHarness(t, users)
	r := h.ok("sync")
	assert.Contains(t, r.stdout, "done: add 2")
	assert.Contains(t, r.stderr, "skipped 1 source entry the store cannot take")
	assert.Contains(t, r.stderr, "full name of 10485760 bytes, over the limit of 256")
	assert.Less(t, len(r.stderr)+len(r.stdout), 4096, "no value is echoed whole")
	assert.Len(t, h.users(), 2)
	st := h.ok("status")
	assert.Contains(t, st.stdout, "skip       1")
}
