package ldap_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/sourcetest"
)

// aMinuteLater is a clock a minute ahead: for the source, every change
// made so far is older than its ChangeMargin (30 seconds), as a bulk load
// is by the time anyone syncs it.
func aMinuteLater() time.Time { return time.Now().Add(time.Minute) }

// entryCSNs reads the entryCSN of each account under ou, by uid.
func entryCSNs(t *testing.T, c *goldap.Conn, ou string) map[string]string {
	t.Helper()
	res, err := c.Search(goldap.NewSearchRequest(ou, goldap.ScopeSingleLevel, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=account)", []string{"uid", "entryCSN"}, nil))
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range res.Entries {
		out[e.GetAttributeValue("uid")] = e.GetAttributeValue("entryCSN")
	}
	return out
}

func modify(t *testing.T, c *goldap.Conn, dn, description string) {
	t.Helper()
	mod := goldap.NewModifyRequest(dn, nil)
	mod.Replace("description", []string{description})
	require.NoError(t, c.Modify(mod))
}

func TestChanges(t *testing.T) {
	t.Parallel()
	c := admin(t)
	ou := scratchOU(t, c)
	first := addUser(t, c, ou, "first")
	second := addUser(t, c, ou, "second")
	s := newSource(t, scratchConfig(ou), ldap.WithClock(aMinuteLater))
	ctx := ctxT(t)

	all, cursor := sourcetest.DrainChanges(t, s.Changes(ctx, ""), "")
	assert.Equal(t, []string{"first", "second"}, entryNames(all))
	require.NotEmpty(t, cursor)
	assert.LessOrEqual(t, len(cursor), 45, "cursors are short")

	modify(t, c, second, "Second, changed")
	changed, again := sourcetest.DrainChanges(t, s.Changes(ctx, cursor), cursor)
	require.Len(t, changed, 1, "only the change: the cursor is past every change seen")
	assert.Equal(t, "Second, changed", changed[0].FullName)
	assert.NotEqual(t, cursor, again)

	// Adding a user to a group changes the group, not the user: the
	// group's members count as changed.
	add := goldap.NewAddRequest("cn=team,"+ou, nil)
	add.Attribute("objectClass", []string{"groupOfNames"})
	add.Attribute("member", []string{first})
	require.NoError(t, c.Add(add))
	members, third := sourcetest.DrainChanges(t, s.Changes(ctx, again), again)
	assert.Equal(t, []string{"first"}, entryNames(members), "the new member, and no one else")
	none, fourth := sourcetest.DrainChanges(t, s.Changes(ctx, third), third)
	assert.Empty(t, none, "the group's change moved the cursor too")
	assert.Equal(t, third, fourth, "no change keeps the cursor")
	assert.NotEqual(t, again, third)

	// A cursor of earlier versions (a modifyTimestamp) is still read.
	none, c2 := sourcetest.DrainChanges(t, s.Changes(ctx, "29990101000000Z"), "29990101000000Z")
	assert.Empty(t, none, "nothing changed in the future")
	assert.Equal(t, "29990101000000Z", c2, "no change keeps the cursor")

	for _, bad := range []string{"yesterday)(uid=*", "csn>=20261202001901.404812Z#000000#000#000000)(uid=*",
		"csn>20261202001901.404812Z", "20261123101337Z)(uid=*", string(make([]byte, 1<<20))} {
		n := 0
		for ch, err := range s.Changes(ctx, bad) {
			n++
			require.Error(t, err, "a malformed cursor is refused, never put in a filter")
			assert.Less(t, len(err.Error()), 300, "the error does not echo a long cursor whole")
			assert.Empty(t, ch.Cursor)
		}
		assert.Equal(t, 1, n, "the stream stops at its error")
	}
}

// TestChangesAfterBulkLoad: the first step after a bulk load reads only
// the real changes, not the load's last second again as a modifyTimestamp
// cursor did; a cursor of earlier versions still works and moves on to the
// new kind.
func TestChangesAfterBulkLoad(t *testing.T) {
	t.Parallel()
	c := admin(t)
	ou := scratchOU(t, c)
	const n = 300
	dns := make([]string, n)
	for i := range n {
		dns[i] = addUser(t, c, ou, fmt.Sprintf("bulk%03d", i))
	}
	s := newSource(t, scratchConfig(ou), ldap.WithClock(aMinuteLater))
	ctx := ctxT(t)
	all, cursor := sourcetest.DrainChanges(t, s.Changes(ctx, ""), "")
	require.Len(t, all, n)
	// Each entry the stream returns is one slapd sent: the count is the
	// step's cost in entries.
	none, same := sourcetest.DrainChanges(t, s.Changes(ctx, cursor), cursor)
	assert.Empty(t, none, "nothing changed: nothing is read again")
	assert.Equal(t, cursor, same)

	for _, i := range []int{0, 150, n - 1} {
		modify(t, c, dns[i], "changed")
	}
	changed, next := sourcetest.DrainChanges(t, s.Changes(ctx, cursor), cursor)
	assert.Equal(t, []string{"bulk000", "bulk150", "bulk299"}, entryNames(changed), "the first step reads the 3 changes and nothing else")

	// The cursor of earlier versions: the last change's modifyTimestamp.
	csns := entryCSNs(t, c, ou)
	old := csns["bulk299"][:14] + "Z"
	fromOld, converted := sourcetest.DrainChanges(t, s.Changes(ctx, old), old)
	assert.Contains(t, entryNames(fromOld), "bulk299", "a modifyTimestamp cursor gives its second again")
	assert.Equal(t, next, converted, "and is followed by the new kind")
}

// TestChangesSameSecond: entries changed in the same second, and in the
// same microsecond as far as the clock goes, are told apart by their
// entryCSN; a change made right after a stream is in the next one,
// whether or not the source's clock puts it within ChangeMargin.
func TestChangesSameSecond(t *testing.T) {
	t.Parallel()
	c := admin(t)
	ou := scratchOU(t, c)
	var names []string
	dns := map[string]string{}
	for i := range 10 {
		name := fmt.Sprintf("u%d", i)
		names = append(names, name)
		dns[name] = addUser(t, c, ou, name)
	}
	ctx := ctxT(t)
	s := newSource(t, scratchConfig(ou), ldap.WithClock(aMinuteLater))
	csns := entryCSNs(t, c, ou)
	for i, name := range names {
		from, _ := sourcetest.DrainChanges(t, s.Changes(ctx, "csn>="+csns[name]), "csn>="+csns[name])
		assert.Equal(t, names[i:], entryNames(from), "from %s's entryCSN on", name)
		after, _ := sourcetest.DrainChanges(t, s.Changes(ctx, "csn>"+csns[name]), "csn>"+csns[name])
		assert.ElementsMatch(t, names[i+1:], entryNames(after), "after %s's entryCSN", name)
	}

	for _, clock := range []struct {
		name string
		now  func() time.Time
	}{{"a minute later", aMinuteLater}, {"now", time.Now}} {
		s := newSource(t, scratchConfig(ou), ldap.WithClock(clock.now))
		_, cursor := sourcetest.DrainChanges(t, s.Changes(ctx, ""), "")
		modify(t, c, dns["u3"], "changed right after the stream, "+clock.name)
		changed, _ := sourcetest.DrainChanges(t, s.Changes(ctx, cursor), cursor)
		i := slices.IndexFunc(changed, func(e directory.Entry) bool { return e.Username == "u3" })
		require.GreaterOrEqual(t, i, 0, "%s: the change is in the next stream", clock.name)
		assert.Equal(t, "changed right after the stream, "+clock.name, changed[i].FullName)
		if clock.name == "now" {
			// Every entry here was stamped within the margin before the
			// stream: they all come again (at least once).
			assert.Equal(t, names, entryNames(changed))
		} else {
			assert.Len(t, changed, 1)
		}
	}
}

// TestChangesDuringStream: a paged search is no snapshot. A change made
// while a stream runs, to an entry the stream has already passed, comes
// in the next stream, though the stream saw later changes (of entries it
// had not read yet).
func TestChangesDuringStream(t *testing.T) {
	t.Parallel()
	c := admin(t)
	ou := scratchOU(t, c)
	dns := map[string]string{}
	for i := range 6 {
		name := fmt.Sprintf("p%d", i)
		dns[name] = addUser(t, c, ou, name)
	}
	cfg := scratchConfig(ou)
	cfg.PageSize = 2
	s := newSource(t, cfg)
	ctx := ctxT(t)
	var seen []directory.Entry
	cursor := ""
	for ch, err := range s.Changes(ctx, "") {
		require.NoError(t, err)
		if ch.Entry == nil {
			cursor = ch.Cursor
			continue
		}
		seen = append(seen, *ch.Entry)
		if len(seen) == 1 {
			modify(t, c, dns[ch.Entry.Username], "changed behind the stream")
			for name, dn := range dns {
				if name != ch.Entry.Username {
					modify(t, c, dn, "changed ahead of the stream")
				}
			}
		}
	}
	require.Len(t, seen, 6)
	later := slices.DeleteFunc(slices.Clone(seen[1:]), func(e directory.Entry) bool { return e.FullName != "changed ahead of the stream" })
	require.NotEmpty(t, later, "the stream saw changes made after the one behind it")
	next, _ := sourcetest.DrainChanges(t, s.Changes(ctx, cursor), cursor)
	i := slices.IndexFunc(next, func(e directory.Entry) bool { return e.Username == seen[0].Username })
	require.GreaterOrEqual(t, i, 0, "the entry changed behind the stream comes in the next one")
	assert.Equal(t, "changed behind the stream", next[i].FullName)
}
