package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
)

func TestAddDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))
	r := h.ok("add", "--dry-run", "--show-emails")
	for _, u := range staff(6) {
		assert.Contains(t, r.stdout, "add        "+id(u.email)+" "+u.email)
	}
	assert.Contains(t, r.stdout, "dry run: would add 6; nothing was changed")
	assert.Empty(t, h.users(), "a dry run writes nothing")

	for _, verb := range []string{"sync", "update", "activate", "deactivate"} {
		h.ok(verb, "--dry-run")
	}
	assert.Empty(t, h.users())
}

func TestVerbsEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))

	// add: every user, signed.
	r := h.ok("add")
	assert.Contains(t, r.stdout, "done: add 6")
	users := h.users()
	require.Len(t, users, 6)
	alice := users["alice@example.test"]
	assert.Equal(t, "Alice Example", alice.DisplayName)
	assert.Equal(t, []string{"sales", "staff"}, alice.Groups)
	assert.True(t, alice.Enabled)
	assert.Equal(t, "csv", alice.Source)
	assert.NotEmpty(t, alice.Attributes[directory.AttrSignature], "the record's signature is kept")
	assert.Equal(t, "admin", alice.Attributes[directory.AttrRoles])

	// A second run has nothing to do and changes nothing.
	r = h.ok("add")
	assert.Contains(t, r.stdout, "nothing to add")
	assert.Equal(t, alice.Version, h.users()["alice@example.test"].Version)

	// update: a changed name and changed groups; add does not touch them.
	u := staff(6)
	u[0].name = "Alice Renamed"
	u[1].groups = "staff,eng"
	writeCSV(t, h.csv, u)
	r = h.ok("add")
	assert.Contains(t, r.stdout, "nothing to add")
	r = h.ok("update", "--dry-run")
	assert.Contains(t, r.stdout, "update     "+id("alice@example.test")+" fields: fullName")
	assert.Contains(t, r.stdout, "groups     "+id("bob@example.test")+" fields: groups")
	assert.Equal(t, "Alice Example", h.users()["alice@example.test"].DisplayName)
	r = h.ok("update")
	assert.Contains(t, r.stdout, "done: update 1, groups 1")
	users = h.users()
	assert.Equal(t, "Alice Renamed", users["alice@example.test"].DisplayName)
	assert.Equal(t, []string{"eng", "staff"}, users["bob@example.test"].Groups)

	// deactivate: a user gone from the source, by e-mail.
	writeCSV(t, h.csv, u[1:])
	r = h.ok("deactivate", "--dry-run", "alice@example.test")
	assert.Contains(t, r.stdout, "deactivate "+id("alice@example.test")+" (gone from the source)")
	assert.True(t, h.users()["alice@example.test"].Enabled)
	r = h.ok("deactivate", "bob@example.test")
	assert.Contains(t, r.stdout, "user "+id("bob@example.test")+": nothing to deactivate")
	r = h.ok("deactivate", "ALICE@example.test")
	assert.Contains(t, r.stdout, "done: deactivate 1")
	users = h.users()
	require.Len(t, users, 6, "users are never deleted")
	assert.False(t, users["alice@example.test"].Enabled)

	// activate: back in the source. The flag may follow the e-mail.
	writeCSV(t, h.csv, u)
	r = h.ok("activate", "alice@example.test", "--dry-run")
	assert.Contains(t, r.stdout, "activate   "+id("alice@example.test"))
	r = h.ok("activate", "alice@example.test")
	assert.Contains(t, r.stdout, "done: activate 1")
	assert.True(t, h.users()["alice@example.test"].Enabled)

	// An e-mail that neither side knows is an error naming the user.
	r = h.run("activate", "nobody@example.test")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "user "+id("nobody@example.test")+": no user with that corporate e-mail")

	// status after all that: nothing to do.
	r = h.ok("status")
	assert.Contains(t, r.stdout, `source "csv": 6 users; the store holds 6 users synced from it`)
	assert.Contains(t, r.stdout, "unchanged  6")
	assert.Contains(t, r.stdout, "store: 6 users (6 enabled, 0 disabled, 6 unverified e-mail, 6 from any source)")
}

func TestGuardRefusesMassDeactivation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(10))
	h.ok("add")

	// 3 of 10 gone: more than the default 20%.
	writeCSV(t, h.csv, staff(7))
	before := h.users()
	r := h.run("deactivate")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "sync guard: 3 of 10 active users of source \"csv\" would be deactivated, more than 20%")
	assert.Contains(t, r.stderr, "no user was deactivated")
	assert.Contains(t, r.stderr, "--force")
	assert.Equal(t, before, h.users())

	r = h.run("sync", "--dry-run")
	assert.Equal(t, exitFailure, r.code, "the dry run shows the plan and that it would be refused")
	assert.Contains(t, r.stdout, "deactivate "+id("user00007@example.test")+" (gone from the source)")
	assert.Contains(t, r.stderr, "sync guard")

	// Verbs that deactivate nothing are not held back.
	h.ok("add")

	// A whole sync carries out the rest and holds the deactivations back.
	writeCSV(t, h.csv, append(staff(7), csvUser{name: "Newcomer", email: "new@example.test"}))
	r = h.run("sync")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stdout, "done: add 1")
	assert.Contains(t, r.stderr, "no user was deactivated; the other changes were carried out")
	users := h.users()
	assert.Len(t, users, 11)
	for _, u := range users {
		assert.True(t, u.Enabled, u.Email)
	}
	r = h.ok("status")
	assert.Contains(t, r.stdout, "deactivate 3")
	assert.Contains(t, r.stdout, "warning: directory: sync guard")

	// Naming one user is explicit.
	h.ok("deactivate", "user00007@example.test")

	r = h.ok("deactivate", "--force")
	assert.Contains(t, r.stdout, "done: deactivate 2")
	assert.Len(t, h.users(), 11)

	// A source that returns no users.
	writeCSV(t, h.csv, nil)
	r = h.run("sync")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, `source "csv" returned no users; deactivating all 8 would follow`)
}

func TestSyncErrorsNameTheRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(2))
	data, err := os.ReadFile(h.csv)
	require.NoError(t, err)
	data = append(data, []byte("No Mail,,,,,\n")...)
	require.NoError(t, os.WriteFile(h.csv, data, 0o600))
	r := h.run("sync")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "line 4")
	assert.Empty(t, h.users())

	// A public key that is not the private key's half would refuse every
	// record; the agent names the setting before it starts.
	writeCSV(t, h.csv, staff(2))
	other := t.TempDir()
	require.NoError(t, directory.GenerateKeyFiles(directory.Ed25519, filepath.Join(other, "k.pem"), filepath.Join(other, "k.pub")))
	cfg := readConfig(t, h.config)
	cfg.PublicKey = filepath.Join(other, "k.pub")
	require.NoError(t, writeConfig(h.config, &cfg))
	r = h.run("sync")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, `setting "publicKey"`)
	assert.Contains(t, r.stderr, "is not the public half")
}

func TestProgressOnATerminal(t *testing.T) {
	t.Parallel()
	// How often the engine reports (per change, or per batch) is its
	// business; the agent shows what it is told.
	h := newHarness(t, staff(30))
	a, out, errOut := h.app("")
	a.interactive = true
	require.Equal(t, exitOK, a.run(t.Context(), []string{"add"}), errOut.String())
	assert.Contains(t, out.String(), "\radd: 30 done of 30 planned so far\n")

	h2 := newHarness(t, staff(30))
	r := h2.ok("add")
	assert.NotContains(t, r.stdout, "\r")
	assert.Contains(t, r.stdout, "add: 30/30\n")
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		interactive bool
		want        string
	}{
		{"terminal", true, "\rx: 1/30 (3%)\rx: 2/30 (6%)\rx: 3/30 (10%)\rx: 29/30 (96%)\rx: 30/30 (100%)\n"},
		{"plain: a line per tenth", false, "x: 1/30\nx: 3/30\nx: 29/30\nx: 30/30\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			p := &progress{w: &b, label: "x", interactive: tc.interactive, lastTenth: -1}
			for _, done := range []int{1, 2, 3, 29, 30} {
				p.update(done, 30)
			}
			p.finish()
			assert.Equal(t, tc.want, b.String())
		})
	}
}

func TestApplyFailuresNameTheUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))
	// A local user, not synced, holds Carol's username.
	_, err := h.store().CreateUser(t.Context(), userstore.User{Username: "carol@example.test", Email: "carol@home.test", Enabled: true})
	require.NoError(t, err)

	r := h.run("add")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stdout, "done: add 5")
	assert.Contains(t, r.stderr, "add of user "+id("carol@example.test")+": directory: the username is taken by a user not synced from source \"csv\"")
	assert.Contains(t, r.stderr, "1 change(s) failed")
	assert.NotContains(t, r.stderr, "carol@example.test", "users are named by identifier")
	assert.Len(t, h.users(), 6, "five synced and the local user")
}
