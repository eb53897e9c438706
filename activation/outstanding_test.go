package activation_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// sortKey is the time Outstanding orders an entry by: its use, else its
// creation.
func sortKey(e activation.OutstandingCode) time.Time {
	if !e.ActivatedAt.IsZero() {
		return e.ActivatedAt
	}
	return e.CreatedAt
}

// listOutstanding pages through Outstanding with limit, passing the cursor
// through its string form as a web page would, and checks each page.
func listOutstanding(t *testing.T, m *activation.Manager, limit int) []activation.OutstandingCode {
	t.Helper()
	var (
		out    []activation.OutstandingCode
		cursor activation.Cursor
	)
	for page := 0; ; page++ {
		require.Less(t, page, 1000, "Outstanding pages on for ever")
		got, next, err := m.Outstanding(context.Background(), cursor, limit)
		require.NoError(t, err)
		pageSize := limit
		if limit <= 0 {
			pageSize = activation.DefaultOutstandingPage
		}
		require.LessOrEqual(t, len(got), pageSize)
		out = append(out, got...)
		if next.IsZero() {
			return out
		}
		cursor, err = activation.ParseCursor(next.String())
		require.NoError(t, err)
		require.Equal(t, next.String(), cursor.String())
	}
}

func usernames(es []activation.OutstandingCode) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Username + ":" + string(e.Stage)
	}
	return out
}

// TestOutstanding: which activations are listed, at which stage and with
// which times, on every store; paging at any size gives the same list.
func TestOutstanding(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{ExpiryDays: 1, PasswordSetMinutes: 15}))
		for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "gina"} {
			_, err := store.CreateUser(ctx, userstore.User{Username: name})
			require.NoError(t, err)
		}
		create := func(name string) string {
			c, err := e.m.Create(ctx, name, nil)
			require.NoError(t, err)
			return c.Code
		}
		activate := func(name, code string) activation.PasswordToken {
			pt, err := e.m.Activate(ctx, activation.Request{Username: name, Code: code})
			require.NoError(t, err)
			return pt
		}

		create("bob") // expires 24 hours from now
		e.clock.Advance(23 * time.Hour)
		t1 := e.clock.Now()
		create("alice") // alice to erin at the same instant
		carol, dave, erin := create("carol"), create("dave"), create("erin")
		create("frank")
		require.NoError(t, e.m.Delete(ctx, "frank"))
		create("gina")
		e.clock.Advance(30 * time.Minute)
		t2 := e.clock.Now()
		activate("dave", dave) // its window closes at t2+15m: the code is good again
		require.NoError(t, e.m.SetPassword(ctx, activate("erin", erin).Token, "a long password"))
		_, err := store.CreateUser(ctx, userstore.User{Username: "gone"})
		require.NoError(t, err)
		create("gone")
		require.NoError(t, store.DeleteUser(ctx, mustUser(t, store, "gone").ID))
		e.clock.Advance(30 * time.Minute)
		t3 := e.clock.Now() // bob's code expires now
		activate("carol", carol)
		e.clock.Advance(time.Minute)
		now := e.clock.Now() // carol's window is open, dave's has closed

		all := listOutstanding(t, e.m, activation.MaxOutstandingPage)
		byName := map[string]activation.OutstandingCode{}
		for _, o := range all {
			byName[o.Username] = o
		}
		want := map[string]activation.OutstandingCode{
			"alice": {Stage: activation.StageCode, CreatedAt: t1, ExpiresAt: t1.Add(24 * time.Hour)},
			"gina":  {Stage: activation.StageCode, CreatedAt: t1, ExpiresAt: t1.Add(24 * time.Hour)},
			"dave":  {Stage: activation.StageCode, CreatedAt: t1, ExpiresAt: t1.Add(24 * time.Hour), ActivatedAt: t2, PasswordSetUntil: t2.Add(15 * time.Minute)},
			"carol": {Stage: activation.StagePasswordSet, CreatedAt: t1, ExpiresAt: t1.Add(24 * time.Hour), ActivatedAt: t3, PasswordSetUntil: t3.Add(15 * time.Minute)},
		}
		require.Len(t, all, len(want), "listed: %v", usernames(all))
		for name, w := range want {
			t.Run(name, func(t *testing.T) {
				got, ok := byName[name]
				require.True(t, ok, "%s not listed", name)
				assert.Equal(t, mustUser(t, store, name).ID, got.UserID)
				assert.Equal(t, w.Stage, got.Stage)
				for _, c := range []struct {
					field     string
					got, want time.Time
				}{
					{"CreatedAt", got.CreatedAt, w.CreatedAt}, {"ExpiresAt", got.ExpiresAt, w.ExpiresAt},
					{"ActivatedAt", got.ActivatedAt, w.ActivatedAt}, {"PasswordSetUntil", got.PasswordSetUntil, w.PasswordSetUntil},
				} {
					assert.True(t, c.got.Equal(c.want), "%s = %v, want %v", c.field, c.got, c.want)
				}
			})
		}
		assert.True(t, slices.IsSortedFunc(all, func(a, b activation.OutstandingCode) int { return sortKey(a).Compare(sortKey(b)) }),
			"not oldest first: %v", usernames(all))
		assert.True(t, e.clock.Now().Equal(now))

		for _, limit := range []int{-1, 0, 1, 2, 3, 4} {
			t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
				assert.Equal(t, usernames(all), usernames(listOutstanding(t, e.m, limit)))
			})
		}

		// Nothing is listed once every code has expired, and the code
		// whose window closed expires with the others.
		e.clock.Set(t1.Add(24 * time.Hour))
		got, next, err := e.m.Outstanding(ctx, activation.Cursor{}, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.True(t, next.IsZero())
	})
}

// TestOutstandingManyPages: many codes created at one instant, windows
// among them and many dead windows (closed, with an expired code) to
// skip: every page size lists each outstanding user once, in order, and
// the listing ends.
func TestOutstandingManyPages(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newEnv(t, store, enabled(activation.Settings{ExpiryDays: 1, PasswordSetMinutes: 10}))
		var dead []string
		for i := range 12 {
			name := fmt.Sprintf("dead%02d", i)
			_, err := store.CreateUser(ctx, userstore.User{Username: name})
			require.NoError(t, err)
			c, err := e.m.Create(ctx, name, nil)
			require.NoError(t, err)
			_, err = e.m.Activate(ctx, activation.Request{Username: name, Code: c.Code})
			require.NoError(t, err)
			dead = append(dead, name)
		}
		e.clock.Advance(25 * time.Hour) // the dead windows and their codes have expired
		var want []string
		for i := range 40 {
			name := fmt.Sprintf("user%02d", i)
			_, err := store.CreateUser(ctx, userstore.User{Username: name})
			require.NoError(t, err)
			c, err := e.m.Create(ctx, name, nil)
			require.NoError(t, err)
			stage := activation.StageCode
			if i%5 == 0 {
				_, err = e.m.Activate(ctx, activation.Request{Username: name, Code: c.Code})
				require.NoError(t, err)
				stage = activation.StagePasswordSet
			}
			want = append(want, name+":"+string(stage))
		}
		all := listOutstanding(t, e.m, 0)
		got := usernames(all)
		assert.ElementsMatch(t, want, got)
		for _, limit := range []int{1, 2, 7, 40, 41} {
			t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
				assert.Equal(t, got, usernames(listOutstanding(t, e.m, limit)))
			})
		}
		for _, name := range dead {
			assert.NotContains(t, strings.Join(got, " "), name)
		}
	})
}

func TestOutstandingLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storeCases()[0].Open(t), enabled(activation.Settings{}))
	for _, c := range []struct {
		name  string
		limit int
		err   error
	}{
		{"default", 0, nil},
		{"negative means default", -5, nil},
		{"largest", activation.MaxOutstandingPage, nil},
		{"over the largest", activation.MaxOutstandingPage + 1, activation.ErrInvalidInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.m.Outstanding(context.Background(), activation.Cursor{}, c.limit)
			if c.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, c.err)
			}
		})
	}
}

// TestOutstandingWhileDisabled: an administrator still sees what is
// stored when activation is switched off.
func TestOutstandingWhileDisabled(t *testing.T) {
	t.Parallel()
	store := storeCases()[0].Open(t)
	e := newEnv(t, store, enabled(activation.Settings{}))
	_, err := e.m.Create(context.Background(), "jdoe", nil)
	require.NoError(t, err)
	off, err := activation.New(store, testKey, policySetter(store), activation.Settings{}, activation.WithClock(e.clock.Now))
	require.NoError(t, err)
	got, _, err := off.Outstanding(context.Background(), activation.Cursor{}, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"jdoe:code"}, usernames(got))
}

func TestParseCursor(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name, in string
		ok       bool
	}{
		{"empty is the start", "", true},
		{"code stream", "1764579600000000000.0." + hash, true},
		{"window stream", "1764579600000000001.1." + hash, true},
		{"before 1970", "-5.0.ab", true},
		{"no dots", "1764579600000000000", false},
		{"one dot", "1.0", false},
		{"zero time", "0.0." + hash, false},
		{"leading zero", "01.0." + hash, false},
		{"plus sign", "+1.0." + hash, false},
		{"bad stream", "1.2." + hash, false},
		{"empty hash", "1.0.", false},
		{"upper-case hash", "1.0.AB", false},
		{"not hex", "1.0.xyz", false},
		{"extra dot", "1.0.ab.cd", false},
		{"hash too long", "1.0." + strings.Repeat("a", 129), false},
		{"time overflows", "99999999999999999999.0.ab", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := activation.ParseCursor(c.in)
			if !c.ok {
				assert.ErrorIs(t, err, activation.ErrInvalidInput)
				assert.True(t, got.IsZero())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.in, got.String(), "round trip")
		})
	}
}

// FuzzParseCursor: ParseCursor never panics, and what it accepts it
// encodes back to the same text.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "1.0.ab", "1764579600000000000.1." + strings.Repeat("0f", 32), "-1.1.a", "1..", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := activation.ParseCursor(s)
		if err != nil {
			if !c.IsZero() {
				t.Fatalf("ParseCursor(%q) failed but returned %v", s, c)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("ParseCursor(%q).String() = %q", s, c.String())
		}
	})
}
