package push_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/elimity-com/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/teststores"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

const testToken = "test-token-not-a-secret"

// backends are the stores a follower is checked against; PostgreSQL is
// skipped without the private server (./scripts/testservers.sh).
var backends = teststores.All()

func newFollower(t testing.TB, p *provider, src push.Source, cursors push.CursorStore, cfg push.Config) *push.Follower {
	t.Helper()
	cfg.BaseURL = p.BaseURL()
	f, err := push.New(cfg, src, cursors, push.WithBearerToken(testToken))
	require.NoError(t, err)
	return f
}

// drain steps until the feed has nothing more.
func drain(t testing.TB, f *push.Follower) {
	t.Helper()
	for range 1000 {
		n, err := f.Step(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("feed never ran dry")
}

func createUser(t testing.TB, s userstore.Store, name string) userstore.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), userstore.User{
		Username: name, Email: name + "@example.com", DisplayName: "User " + name,
		GivenName: "Given " + name, FamilyName: "Family", Enabled: true,
		Attributes: map[string]string{"title": "Engineer", "enterprise.department": "R&D"},
	})
	require.NoError(t, err)
	return u
}

// writeScenario makes every kind of change the follower pushes.
func writeScenario(t *testing.T, s userstore.Store) {
	ctx := context.Background()
	alice := createUser(t, s, "alice")
	bob := createUser(t, s, "bob")
	carol := createUser(t, s, "carol")
	_, err := s.CreateGroup(ctx, userstore.Group{Name: "Staff", Description: "everyone"})
	require.NoError(t, err)
	require.NoError(t, s.AddMember(ctx, "Staff", alice.ID))
	require.NoError(t, s.AddMember(ctx, "Staff", bob.ID))
	bob.DisplayName = "Robert"
	bob, err = s.UpdateUser(ctx, bob)
	require.NoError(t, err)
	carol.Enabled = false
	_, err = s.UpdateUser(ctx, carol)
	require.NoError(t, err)
	require.NoError(t, s.RemoveMember(ctx, "Staff", bob.ID))
	require.NoError(t, s.AddMember(ctx, "staff", carol.ID))
	_, err = s.CreateGroup(ctx, userstore.Group{Name: "Temp"})
	require.NoError(t, err)
	require.NoError(t, s.AddMember(ctx, "Temp", alice.ID))
	require.NoError(t, s.DeleteGroup(ctx, "Temp"))
	_, err = s.CreateGroup(ctx, userstore.Group{Name: "Leavers"})
	require.NoError(t, err)
	dave := createUser(t, s, "dave")
	require.NoError(t, s.AddMember(ctx, "Leavers", dave.ID))
	require.NoError(t, s.AddMember(ctx, "Staff", dave.ID))
	require.NoError(t, s.DeleteUser(ctx, dave.ID))
	leavers, err := s.GetGroup(ctx, "Leavers")
	require.NoError(t, err)
	leavers.Name = "Alumni"
	_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: leavers, AddMembers: []string{carol.ID}})
	require.NoError(t, err)
}

// assertMirrors checks that the downstream holds exactly the store's users
// and groups, once each, and that users the store deleted are deactivated or
// gone as mode says.
func assertMirrors(t testing.TB, p *provider, s userstore.Store, mode push.DeleteMode) {
	t.Helper()
	ctx := context.Background()
	users := p.users.byExternalID(t)
	live := map[string]bool{}
	for u, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
		require.NoError(t, err)
		live[u.ID] = true
		d, ok := users[u.ID]
		if !assert.True(t, ok, "user %s not downstream", u.Username) {
			continue
		}
		assert.Equal(t, u.Username, d["userName"])
		assert.Equal(t, u.DisplayName, d["displayName"])
		assert.Equal(t, u.Enabled, d["active"], "active of %s", u.Username)
		assert.Equal(t, "Engineer", d["title"])
		if name, ok := d["name"].(map[string]any); assert.True(t, ok) {
			assert.Equal(t, u.GivenName, name["givenName"])
		}
	}
	for ext, d := range users {
		if live[ext] {
			continue
		}
		if mode == push.Delete {
			t.Errorf("deleted user %v still downstream", d["userName"])
		} else {
			assert.Equal(t, false, d["active"], "deleted user %v not deactivated", d["userName"])
		}
	}
	groups := p.groups.byExternalID(t)
	var n int
	for g, err := range s.ListGroups(ctx) {
		require.NoError(t, err)
		n++
		d, ok := groups[g.ID]
		if !assert.True(t, ok, "group %s not downstream", g.Name) {
			continue
		}
		assert.Equal(t, g.Name, d["displayName"])
		var want, got []string
		for m, err := range s.ListMembers(ctx, g.Name) {
			require.NoError(t, err)
			want = append(want, users[m.ID]["id"].(string))
		}
		ms, _ := d["members"].([]any)
		for _, m := range ms {
			got = append(got, m.(map[string]any)["value"].(string))
		}
		slices.Sort(want)
		slices.Sort(got)
		assert.Equal(t, want, got, "members of %s", g.Name)
	}
	assert.Len(t, groups, n, "downstream groups")
}

func TestFollower_Mirrors(t *testing.T) {
	for _, b := range backends {
		for _, c := range []struct {
			mode    push.DeleteMode
			members push.MembersMode
		}{{push.Deactivate, push.ReplaceMembers}, {push.Delete, push.PatchMembers}} {
			mode := c.mode
			t.Run(b.Name+"/"+string(mode)+"/"+string(c.members), func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				defer s.Close()
				p := newProvider(t, testToken)
				cursors := &push.MemoryCursors{}
				f := newFollower(t, p, s, cursors, push.Config{DeleteMode: mode, Members: c.members, BatchSize: 4})
				writeScenario(t, s)
				drain(t, f)
				assertMirrors(t, p, s, mode)

				// The cursor is the feed's last Seq.
				var last int64
				for ch, err := range s.Changes(context.Background(), 0) {
					require.NoError(t, err)
					last = ch.Seq
				}
				got, err := cursors.Load(context.Background(), "default")
				require.NoError(t, err)
				assert.Equal(t, last, got)

				// Pushing everything again from the start changes nothing
				// and duplicates nothing.
				require.NoError(t, cursors.Save(context.Background(), "default", 0))
				drain(t, f)
				assertMirrors(t, p, s, mode)

				// A user deleted after it was pushed is deactivated or
				// deleted, and leaves the groups that listed it.
				alice, err := s.GetUserByUsername(context.Background(), "alice")
				require.NoError(t, err)
				require.Contains(t, alice.Groups, "Staff")
				require.NoError(t, s.DeleteUser(context.Background(), alice.ID))
				drain(t, f)
				assertMirrors(t, p, s, mode)
				_, there := p.users.byExternalID(t)[alice.ID]
				assert.Equal(t, mode == push.Deactivate, there)
				if c.members == push.PatchMembers {
					assert.Zero(t, p.groupPut.Load(), "a group was replaced")
					assert.NotZero(t, p.groupPat.Load(), "no group was patched")
				} else {
					assert.Zero(t, p.groupPat.Load(), "a group was patched")
					assert.NotZero(t, p.groupPut.Load(), "no group was replaced")
				}
			})
		}
	}
}

func TestFollower_FailingDownstream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	p := newProvider(t, testToken)
	cursors := &push.MemoryCursors{}
	var logs syncBuffer
	f, err := push.New(push.Config{
		BaseURL:  p.BaseURL(),
		RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, PollInterval: 5 * time.Millisecond,
	}, s, cursors, push.WithBearerToken(testToken), push.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	createUser(t, s, "erin")
	p.failing.Store(true)

	n, err := f.Step(ctx)
	var he *push.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 500, he.StatusCode)
	assert.Zero(t, n)
	seq, err := cursors.Load(ctx, "default")
	require.NoError(t, err)
	assert.Zero(t, seq, "cursor moved while the downstream failed")

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	for _, name := range []string{"frank", "grace"} {
		createUser(t, s, name)
	}
	time.Sleep(50 * time.Millisecond) // Run retries against the failing downstream
	seq, err = cursors.Load(ctx, "default")
	require.NoError(t, err)
	assert.Zero(t, seq, "cursor moved while the downstream failed")
	assert.Empty(t, p.users.snapshot())

	p.failing.Store(false)
	require.Eventually(t, func() bool {
		seq, err := cursors.Load(ctx, "default")
		return err == nil && seq == 3
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assertMirrors(t, p, s, push.Deactivate)
	assert.Contains(t, logs.String(), `level=WARN msg="push: pass failed, retrying"`)
	assert.NotContains(t, logs.String(), testToken)
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestFollower_HangingDownstream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	p := newProvider(t, testToken)
	cursors := &push.MemoryCursors{}
	f := newFollower(t, p, s, cursors, push.Config{
		RequestTimeout: 100 * time.Millisecond, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		PollInterval: 5 * time.Millisecond,
	})
	createUser(t, s, "heidi")
	p.hanging.Store(true)

	start := time.Now()
	_, err := f.Step(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second, "a hanging downstream held the follower")
	seq, err := cursors.Load(ctx, "default")
	require.NoError(t, err)
	assert.Zero(t, seq)

	// Run retries the hanging downstream, and catches up once it answers.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	createUser(t, s, "ivy")
	time.Sleep(250 * time.Millisecond)
	seq, err = cursors.Load(ctx, "default")
	require.NoError(t, err)
	assert.Zero(t, seq)
	p.hanging.Store(false)
	require.Eventually(t, func() bool {
		seq, err := cursors.Load(ctx, "default")
		return err == nil && seq == 2
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assertMirrors(t, p, s, push.Deactivate)
}

func TestFollower_Refusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	p := newProvider(t, testToken)
	cursors := &push.MemoryCursors{}
	f := newFollower(t, p, s, cursors, push.Config{})

	// A change the downstream refuses for good (400) is passed over, so
	// that it cannot block the feed; the next ones are pushed.
	p.refuse.Store("mallory")
	createUser(t, s, "mallory")
	createUser(t, s, "judy")
	n, err := f.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	users := p.users.byExternalID(t)
	assert.Len(t, users, 1)

	// A conflict (409: the userName is taken by a resource that is not
	// ours) is not: it may be resolved downstream, so the follower waits.
	_, err = p.users.Create(nil, scim.ResourceAttributes{"userName": "ivan"})
	require.NoError(t, err)
	createUser(t, s, "ivan")
	_, err = f.Step(ctx)
	var he *push.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 409, he.StatusCode)
	seq, err := cursors.Load(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, int64(2), seq, "cursor moved past a change not acknowledged")

	// A wrong token is not passed over either.
	p.refuse.Store("")
	f2, err := push.New(push.Config{BaseURL: p.BaseURL()}, s, &push.MemoryCursors{}, push.WithBearerToken("wrong"))
	require.NoError(t, err)
	_, err = f2.Step(ctx)
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.NotContains(t, err.Error(), "wrong", "the token went into an error")
}

func TestFollower_Reconcile(t *testing.T) {
	for _, mode := range []push.DeleteMode{push.Deactivate, push.Delete} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := memstore.New()
			writeScenario(t, s)
			p := newProvider(t, testToken)
			// Left downstream from before: a user and a group Usher no
			// longer has, and one resource without an externalId that
			// is not ours.
			_, err := p.users.Create(nil, scim.ResourceAttributes{"userName": "gone", "externalId": "0123", "active": true})
			require.NoError(t, err)
			_, err = p.groups.Create(nil, scim.ResourceAttributes{"displayName": "Old", "externalId": "old"})
			require.NoError(t, err)
			_, err = p.users.Create(nil, scim.ResourceAttributes{"userName": "theirs", "active": true})
			require.NoError(t, err)

			cursors := &push.MemoryCursors{}
			f := newFollower(t, p, s, cursors, push.Config{DeleteMode: mode, PageSize: 2})
			require.NoError(t, f.Reconcile(ctx))
			users := p.users.byExternalID(t)
			assert.Contains(t, users, "", "a resource without externalId was touched")
			assert.Equal(t, true, users[""]["active"])
			require.NoError(t, p.users.Delete(nil, users[""]["id"].(string)))
			assertMirrors(t, p, s, mode)
			seq, err := cursors.Load(ctx, "default")
			require.NoError(t, err)
			assert.Zero(t, seq, "Reconcile moved the cursor")

			// The feed replayed afterwards duplicates nothing.
			drain(t, f)
			assertMirrors(t, p, s, mode)
		})
	}
}
