package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupListAndAttach(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))
	r := h.ok("group", "list")
	assert.Contains(t, r.stdout, "no groups")
	h.ok("add")

	r = h.ok("group", "list")
	assert.Equal(t, "eng\t2 members\nsales\t2 members\nstaff\t2 members\n", r.stdout)

	// attach replaces the whole list, and says so.
	r = h.ok("group", "attach", "support, eng", "alice@example.test,BOB@example.test", "--dry-run")
	assert.Contains(t, r.stderr, "REPLACES each user's whole group list")
	assert.Contains(t, r.stdout, "would set user "+id("alice@example.test")+" groups: [sales,staff] -> [eng,support]")
	assert.Contains(t, r.stdout, "dry run: nothing was changed")
	assert.Equal(t, []string{"sales", "staff"}, h.users()["alice@example.test"].Groups)

	r = h.ok("group", "attach", "support,eng", "alice@example.test,bob@example.test")
	assert.Contains(t, r.stderr, "it does not append")
	users := h.users()
	assert.Equal(t, []string{"eng", "support"}, users["alice@example.test"].Groups, "sales and staff are gone: replaced, not appended")
	assert.Equal(t, []string{"eng", "support"}, users["bob@example.test"].Groups)
	assert.Equal(t, []string{"eng"}, users["carol@example.test"].Groups, "others untouched")

	// An empty list removes every group.
	h.ok("group", "attach", "", "bob@example.test")
	assert.Empty(t, h.users()["bob@example.test"].Groups)

	// One unknown e-mail: nothing is changed for anyone.
	r = h.run("group", "attach", "x", "alice@example.test,ghost@example.test")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "user "+id("ghost@example.test")+" (ghost@example.test): no user in the store has that e-mail")
	assert.Contains(t, r.stderr, "nothing was changed")
	assert.Equal(t, []string{"eng", "support"}, h.users()["alice@example.test"].Groups)

	// The next sync sets synced users' groups back to the source's.
	r = h.ok("update")
	assert.Contains(t, r.stdout, "groups 2")
	assert.Equal(t, []string{"sales", "staff"}, h.users()["alice@example.test"].Groups)

	r = h.ok("group", "list")
	require.Contains(t, r.stdout, "support\t0 members")
}
