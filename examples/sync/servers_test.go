package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// TestLDAPSource runs the agent against the private OpenLDAP that `make
// test` starts (the directory internal/testenv/ldapseed describes).
func TestLDAPSource(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	h := newHarness(t, staff(1))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "usher-sync.json")
	db := filepath.Join(dir, "users.db")
	r := h.ok("init", "--yes", "--config", cfg, "--org-id", testOrg, "--source", "ldap",
		"--ldap-url", srv.URL, "--ldap-bind-dn", srv.BindDN, "--ldap-bind-password", srv.BindPassword,
		"--ldap-base-dn", "ou=people,"+srv.BaseDN, "--ldap-name", "usher.test", "--ldap-disabled-attribute", "usherAccountDisabled", "--store", "sqlite:"+db)
	assert.NotContains(t, r.stdout, srv.BindPassword)

	r = h.ok("status", "--config", cfg)
	assert.Contains(t, r.stdout, `source "usher.test": 7 users`)
	r = h.ok("add", "--config", cfg, "--dry-run")
	assert.Contains(t, r.stdout, "add        "+id("alice@usher.test"))
	r = h.ok("sync", "--config", cfg)
	assert.Contains(t, r.stdout, "done: add 7")

	s, err := sqlstore.OpenSQLite(context.Background(), db)
	require.NoError(t, err)
	defer s.Close()
	alice, err := s.GetUserByUsername(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, "Alice Andersson", alice.DisplayName)
	assert.Equal(t, "alice@usher.test", alice.Email)
	assert.True(t, alice.Enabled)
	assert.NotEmpty(t, alice.Groups, "groups from memberOf")
	erin, err := s.GetUserByUsername(context.Background(), "erin")
	require.NoError(t, err)
	assert.False(t, erin.Enabled, "a disabled account is synced disabled")

	r = h.ok("lookup", "--config", cfg, id("alice@usher.test"))
	assert.Contains(t, r.stdout, "full name:        Alice Andersson")
	// Plain LDAP: every user's corporate e-mail is its mail attribute, so
	// each has an identifier of its own (bob has no userPrincipalName).
	emails := map[string]bool{}
	for u, err := range s.ListUsers(context.Background(), userstore.ListOptions{}) {
		require.NoError(t, err)
		assert.NotEmpty(t, u.Email, u.Username)
		emails[u.Email] = true
	}
	assert.Len(t, emails, 7)
	r = h.ok("lookup", "--config", cfg, id("bob@usher.test"))
	assert.Contains(t, r.stdout, "full name:        Bob Brown")
	r = h.ok("sync", "--config", cfg)
	assert.Equal(t, "nothing to sync\n", r.stdout)

	r = h.run("status", "--config", cfg, "--v")
	assert.Equal(t, exitOK, r.code, r.stderr)
}

// TestPostgresStore runs the verbs that write against a PostgreSQL store.
func TestPostgresStore(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDB(t)
	h := newHarness(t, staff(6))
	cfg := filepath.Join(t.TempDir(), "usher-sync.json")
	r := h.ok("init", "--yes", "--config", cfg, "--org-id", testOrg, "--source", "csv", "--csv-path", h.csv, "--store", dsn)
	assert.NotContains(t, r.stdout, dsn, "the DSN may hold a password")
	h.ok("add", "--config", cfg)
	h.ok("group", "attach", "--config", cfg, "eng", "alice@example.test")
	r = h.ok("status", "--config", cfg)
	assert.Contains(t, r.stdout, "store: 6 users")

	s, err := sqlstore.OpenPostgres(context.Background(), dsn)
	require.NoError(t, err)
	defer s.Close()
	n := 0
	for u, err := range s.ListUsers(context.Background(), userstore.ListOptions{Source: "csv"}) {
		require.NoError(t, err)
		if u.Email == "alice@example.test" {
			assert.Equal(t, []string{"eng"}, u.Groups)
		}
		n++
	}
	assert.Equal(t, 6, n)
}
