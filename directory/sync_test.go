package directory_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

func TestRecordCanonical(t *testing.T) {
	a := directory.RecordOf(directory.Entry{
		Source: "ad", ExternalID: "g1", Username: " jdoe ", CorporateEmail: "JDoe@Example.TEST ",
		Groups: []string{"b", "a", "b", " "}, Roles: nil, Enabled: true,
	})
	b := directory.RecordOf(directory.Entry{
		Source: "ad", ExternalID: "g1", Username: "jdoe", CorporateEmail: "jdoe@example.test",
		Groups: []string{"a", "b"}, Roles: []string{}, Enabled: true,
	})
	assert.True(t, a.Equal(b))
	assert.Equal(t,
		`{"source":"ad","externalId":"g1","username":"jdoe","fullName":"","corporateEmail":"jdoe@example.test","personalEmail":"","phone":"","groups":["a","b"],"roles":[],"enabled":true}`,
		string(a.Canonical()))
	assert.Equal(t, "jdoe@example.test", directory.RecordOf(directory.Entry{CorporateEmail: "jdoe@example.test"}).Username,
		"the corporate e-mail stands in for a missing username")
}

func TestIdentifier(t *testing.T) {
	id := directory.Identifier("org-1", " JDoe@Example.test")
	assert.Len(t, id, 64)
	assert.Equal(t, id, directory.Identifier("org-1", "jdoe@example.test"), "normalized e-mail")
	assert.NotEqual(t, id, directory.Identifier("org-2", "jdoe@example.test"), "bound to the organization")
	assert.NotContains(t, id, "jdoe")

	src := newFakeSource("ad")
	src.add("jdoe", "pw", directory.Entry{ExternalID: "g1", Username: "jdoe", CorporateEmail: "jdoe@example.test", Enabled: true})
	src.add("ann", "pw", directory.Entry{ExternalID: "g2", Username: "ann", CorporateEmail: "ann@example.test", Enabled: true})
	e, err := directory.LookupIdentifier(context.Background(), src, "org-1", id)
	require.NoError(t, err)
	assert.Equal(t, "jdoe", e.Username)
	_, err = directory.LookupIdentifier(context.Background(), src, "org-2", id)
	require.ErrorIs(t, err, directory.ErrUnknownIdentifier)
	_, err = directory.LookupIdentifier(context.Background(), src, "org-1", "abc")
	require.ErrorContains(t, err, "64 hex digits")
}

func TestRecordSignatures(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	r := directory.RecordOf(directory.Entry{Source: "ad", ExternalID: "g1", Username: "jdoe", Enabled: true})

	for name, key := range map[string]crypto.Signer{"Ed25519": edKey, "ECDSA P-256": ecKey} {
		t.Run(name, func(t *testing.T) {
			s, err := directory.NewRecordSigner(key)
			require.NoError(t, err)
			v, err := directory.NewRecordVerifier(key.Public())
			require.NoError(t, err)
			sig, err := s.Sign(r)
			require.NoError(t, err)
			require.NoError(t, v.Verify(r, sig))

			changed := r
			changed.Enabled = false
			err = v.Verify(changed, sig)
			require.ErrorIs(t, err, directory.ErrBadSignature)
			assert.ErrorContains(t, err, "changed after it was signed")

			other, err := directory.NewRecordSigner(otherKey)
			require.NoError(t, err)
			otherSig, err := other.Sign(r)
			require.NoError(t, err)
			require.ErrorIs(t, v.Verify(r, otherSig), directory.ErrBadSignature)
			require.ErrorIs(t, v.Verify(r, "not.a.jws"), directory.ErrBadSignature)
			require.ErrorIs(t, v.Verify(r, ""), directory.ErrBadSignature)
		})
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	_, err = directory.NewRecordSigner(p384)
	require.ErrorContains(t, err, "P-256")
}

func TestKeyFiles(t *testing.T) {
	for _, alg := range []directory.KeyAlgorithm{directory.Ed25519, directory.P256} {
		t.Run(string(alg), func(t *testing.T) {
			dir := t.TempDir()
			priv, pub := filepath.Join(dir, "org.key"), filepath.Join(dir, "org.pub")
			require.NoError(t, directory.GenerateKeyFiles(alg, priv, pub))
			fi, err := os.Stat(priv)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

			before, err := os.ReadFile(priv)
			require.NoError(t, err)
			err = directory.GenerateKeyFiles(alg, priv, pub)
			require.ErrorIs(t, err, fs.ErrExist, "never overwrite a key")
			after, err := os.ReadFile(priv)
			require.NoError(t, err)
			assert.Equal(t, before, after)

			key, err := directory.LoadPrivateKey(priv)
			require.NoError(t, err)
			pubPEM, err := os.ReadFile(pub)
			require.NoError(t, err)
			pubKey, err := directory.ParsePublicKey(pubPEM)
			require.NoError(t, err)
			s, err := directory.NewRecordSigner(key)
			require.NoError(t, err)
			v, err := directory.NewRecordVerifier(pubKey)
			require.NoError(t, err)
			r := directory.Record{Source: "s", ExternalID: "1"}
			sig, err := s.Sign(r)
			require.NoError(t, err)
			require.NoError(t, v.Verify(r, sig))

			require.NoError(t, os.Chmod(priv, 0o644))
			_, err = directory.LoadPrivateKey(priv)
			require.ErrorContains(t, err, "must be 0600")
		})
	}
}

// syncEnv is a source, a memstore target and the organization's keys.
type syncEnv struct {
	src    *fakeSource
	store  *memstore.Store
	target *directory.StoreTarget
	signer *directory.RecordSigner
}

// newStoreTarget returns a target over store and the signer of a fresh
// organization key.
func newStoreTarget(t *testing.T, store directory.SyncStore) (*directory.StoreTarget, *directory.RecordSigner) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	verifier, err := directory.NewRecordVerifier(pub)
	require.NoError(t, err)
	target, err := directory.NewStoreTarget(store, verifier)
	require.NoError(t, err)
	return target, signer
}

func newSyncEnv(t *testing.T, users int) *syncEnv {
	t.Helper()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	target, signer := newStoreTarget(t, store)
	src := newFakeSource("ad")
	for i := range users {
		n := strconv.Itoa(i)
		src.add("user"+n, "pw", directory.Entry{
			ExternalID: "guid-" + n, Username: "user" + n, FullName: "User " + n,
			CorporateEmail: "user" + n + "@example.test", Groups: []string{"staff"}, Enabled: true,
		})
	}
	return &syncEnv{src: src, store: store, target: target, signer: signer}
}

func (e *syncEnv) sync(t *testing.T, opts directory.PlanOptions) (*directory.Plan, *directory.SyncResult) {
	t.Helper()
	ctx := context.Background()
	p, err := directory.PlanSync(ctx, e.src, e.target, opts)
	require.NoError(t, err)
	res, err := directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{OrgID: "org-1"})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	return p, res
}

func (e *syncEnv) entry(login string) directory.Entry {
	e.src.mu.Lock()
	defer e.src.mu.Unlock()
	return e.src.users[login].entry
}

func TestSyncPlanAndApply(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 10)

	p, res := e.sync(t, directory.PlanOptions{})
	assert.Equal(t, 10, p.Count(directory.SyncAdd))
	assert.Equal(t, 10, res.Applied[directory.SyncAdd])
	u, err := e.store.GetUserByExternalID(ctx, "ad", "guid-3")
	require.NoError(t, err)
	assert.Equal(t, "user3", u.Username)
	assert.Equal(t, "user3@example.test", u.Email)
	assert.Equal(t, []string{"staff"}, u.Groups)
	assert.NotEmpty(t, u.Attributes[directory.AttrSignature], "the target keeps the signature")
	assert.True(t, u.Enabled)

	// Nothing to do: nothing changes.
	p, res = e.sync(t, directory.PlanOptions{})
	assert.Equal(t, 10, p.Count(directory.SyncUnchanged))
	assert.Empty(t, p.Pending())
	assert.Empty(t, res.Applied)
	again, err := e.store.GetUserByExternalID(ctx, "ad", "guid-3")
	require.NoError(t, err)
	assert.Equal(t, u.Version, again.Version, "an idle sync writes nothing")

	// One of each change.
	upd := e.entry("user1")
	upd.FullName, upd.Phone = "Renamed", "+41 79 123 45 67"
	e.src.add("user1", "pw", upd)
	dis := e.entry("user2")
	dis.Enabled = false
	e.src.add("user2", "pw", dis)
	grp := e.entry("user3")
	grp.Groups = []string{"staff", "admins"}
	e.src.add("user3", "pw", grp)
	e.src.mu.Lock()
	delete(e.src.users, "user4")
	e.src.mu.Unlock()
	e.src.add("user10", "pw", directory.Entry{ExternalID: "guid-10", Username: "user10", CorporateEmail: "user10@example.test", Enabled: true})

	p, res = e.sync(t, directory.PlanOptions{MaxDeactivateShare: 0.5})
	byUser := map[string]directory.SyncChange{}
	for _, c := range p.Changes {
		byUser[c.Record.ExternalID] = c
	}
	assert.Equal(t, directory.SyncUpdate, byUser["guid-1"].Kind)
	assert.Equal(t, []string{"fullName", "phone"}, byUser["guid-1"].Fields)
	assert.Equal(t, directory.SyncDeactivate, byUser["guid-2"].Kind)
	assert.Equal(t, directory.SyncGroups, byUser["guid-3"].Kind)
	assert.Equal(t, directory.SyncDeactivate, byUser["guid-4"].Kind)
	assert.True(t, byUser["guid-4"].Gone)
	assert.Equal(t, directory.SyncAdd, byUser["guid-10"].Kind)
	assert.Equal(t, map[directory.SyncKind]int{
		directory.SyncUpdate: 1, directory.SyncDeactivate: 2, directory.SyncGroups: 1, directory.SyncAdd: 1,
	}, res.Applied)

	gone, err := e.store.GetUserByExternalID(ctx, "ad", "guid-4")
	require.NoError(t, err, "users are never deleted by sync")
	assert.False(t, gone.Enabled)
	u3, err := e.store.GetUserByExternalID(ctx, "ad", "guid-3")
	require.NoError(t, err)
	assert.Equal(t, []string{"admins", "staff"}, u3.Groups)

	// Enabled again in the source: activate.
	dis.Enabled = true
	e.src.add("user2", "pw", dis)
	p, _ = e.sync(t, directory.PlanOptions{})
	assert.Equal(t, 1, p.Count(directory.SyncActivate))

	// A local edit of a synced field is set back.
	u1, err := e.store.GetUserByExternalID(ctx, "ad", "guid-1")
	require.NoError(t, err)
	u1.DisplayName = "Edited locally"
	u1.Attributes["note"] = "kept"
	_, err = e.store.UpdateUser(ctx, u1)
	require.NoError(t, err)
	p, _ = e.sync(t, directory.PlanOptions{})
	assert.Equal(t, 1, p.Count(directory.SyncUpdate))
	u1, err = e.store.GetUserByExternalID(ctx, "ad", "guid-1")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", u1.DisplayName)
	assert.Equal(t, "kept", u1.Attributes["note"], "attributes a sync does not own are kept")
}

func TestSyncGuard(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 10)
	e.sync(t, directory.PlanOptions{})

	empty := newFakeSource("ad")
	_, err := directory.PlanSync(ctx, empty, e.target, directory.PlanOptions{})
	require.ErrorIs(t, err, directory.ErrSyncGuard)
	assert.ErrorContains(t, err, "returned no users")

	e.src.mu.Lock()
	gone := maps.Clone(e.src.users)
	for i := range 3 {
		delete(e.src.users, "user"+strconv.Itoa(i))
	}
	e.src.mu.Unlock()
	p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
	require.ErrorIs(t, err, directory.ErrSyncGuard, "3 of 10 is over the default 20%")
	assert.Equal(t, 3, p.Count(directory.SyncDeactivate), "the plan is still there for a dry run")
	_, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{MaxDeactivateShare: 0.3})
	require.NoError(t, err)
	_, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{Force: true})
	require.NoError(t, err)

	// A negative share lets no deactivation pass unless forced.
	// One of ten gone: within the default share, but not within none.
	e.src.mu.Lock()
	e.src.users["user1"], e.src.users["user2"] = gone["user1"], gone["user2"]
	e.src.mu.Unlock()
	_, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
	require.NoError(t, err)
	_, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{MaxDeactivateShare: -1})
	require.ErrorIs(t, err, directory.ErrSyncGuard)
	assert.ErrorContains(t, err, "no deactivation is allowed without forcing it")
	_, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{MaxDeactivateShare: -1, Force: true})
	require.NoError(t, err)
}

// forgingTarget changes every record after it was signed.
type forgingTarget struct{ directory.SyncTarget }

func (f forgingTarget) ApplySync(ctx context.Context, ch directory.SyncChange, sig string) error {
	ch.Record.Groups = append(ch.Record.Groups, "admins")
	return f.SyncTarget.ApplySync(ctx, ch, sig)
}

func TestSyncRefusesForgedRecords(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 3)
	p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
	require.NoError(t, err)
	res, err := directory.ApplySync(ctx, p, forgingTarget{e.target}, e.signer, directory.ApplyOptions{OrgID: "org-1"})
	require.NoError(t, err)
	require.Len(t, res.Failed, 3)
	require.ErrorIs(t, res.Err(), directory.ErrBadSignature)
	assert.Equal(t, directory.Identifier("org-1", res.Failed[0].Change.Record.CorporateEmail), res.Failed[0].Identifier)
	assert.NotContains(t, res.Err().Error(), "@example.test", "failures name users by identifier")
	for _, err := range e.store.ListUsers(ctx, userstore.ListOptions{}) {
		require.NoError(t, err)
		t.Fatal("a forged record was stored")
	}

	// A record signed by another organization is refused too.
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	other, err := directory.NewRecordSigner(otherKey)
	require.NoError(t, err)
	res, err = directory.ApplySync(ctx, p, e.target, other, directory.ApplyOptions{})
	require.NoError(t, err)
	require.ErrorIs(t, res.Err(), directory.ErrBadSignature)
}

func TestSyncApplyOptions(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 5)
	p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
	require.NoError(t, err)
	var progress []string
	res, err := directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{
		Only:     func(r directory.Record) bool { return r.CorporateEmail == "user2@example.test" },
		Progress: func(done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) },
	})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Applied[directory.SyncAdd])
	assert.Equal(t, []string{"1/1"}, progress)

	res, err = directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{Kinds: []directory.SyncKind{directory.SyncDeactivate}})
	require.NoError(t, err)
	assert.Empty(t, res.Applied)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = directory.ApplySync(cctx, p, e.target, e.signer, directory.ApplyOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

// changeSource is a fakeSource with a change log: the cursor is the number
// of changes seen. Each entry carries the cursor just past it, as a source
// whose changes come in order can.
type changeSource struct {
	*fakeSource
	mu  sync.Mutex
	log []directory.Entry
	// failAfter, when positive, makes the stream fail after that many
	// entries.
	failAfter int
}

func (c *changeSource) change(login string, e directory.Entry) {
	c.add(login, "pw", e)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.Source = c.name
	c.log = append(c.log, e)
}

func (c *changeSource) setFailAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAfter = n
}

func (c *changeSource) Changes(_ context.Context, cursor string) iter.Seq2[directory.Change, error] {
	c.fakeSource.mu.Lock()
	down := c.fakeSource.down
	c.fakeSource.mu.Unlock()
	c.mu.Lock()
	log := append([]directory.Entry(nil), c.log...)
	failAfter := c.failAfter
	c.mu.Unlock()
	from, _ := strconv.Atoi(cursor)
	from = min(from, len(log))
	return func(yield func(directory.Change, error) bool) {
		if down {
			yield(directory.Change{}, directory.ErrUnavailable)
			return
		}
		for i, e := range log[from:] {
			if failAfter > 0 && i == failAfter {
				yield(directory.Change{}, directory.ErrUnavailable)
				return
			}
			if !yield(directory.Change{Entry: &e, Cursor: strconv.Itoa(from + i + 1)}, nil) {
				return
			}
		}
		yield(directory.Change{Cursor: strconv.Itoa(len(log))}, nil)
	}
}

func TestAutoSync(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 5)
	cs := &changeSource{fakeSource: e.src}
	a := &directory.AutoSync{
		Source: cs, Target: e.target, Signer: e.signer, OrgID: "org-1",
		Cursors: directory.FileCursors{Dir: t.TempDir()},
	}
	require.NoError(t, a.Full(ctx))
	n := 0
	for _, err := range e.store.ListUsers(ctx, userstore.ListOptions{Source: "ad"}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 5, n)

	u := e.entry("user1")
	u.FullName = "Changed"
	cs.change("user1", u)
	cs.change("user9", directory.Entry{ExternalID: "guid-9", Username: "user9", CorporateEmail: "user9@example.test", Enabled: true})
	written, err := a.Incremental(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, written)
	got, err := e.store.GetUserByExternalID(ctx, "ad", "guid-1")
	require.NoError(t, err)
	assert.Equal(t, "Changed", got.DisplayName)

	written, err = a.Incremental(ctx)
	require.NoError(t, err)
	assert.Zero(t, written, "the cursor moved on")

	// The source goes away: an error, the cursor stays, and once the source
	// is back the change arrives.
	u.FullName = "Changed again"
	cs.change("user1", u)
	cs.setDown(true)
	_, err = a.Incremental(ctx)
	require.ErrorIs(t, err, directory.ErrUnavailable)
	cs.setDown(false)
	written, err = a.Incremental(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, written)
}

// TestAutoSyncStreamFailsPartWay: a change stream that fails after some
// entries, with cursors past them, leaves the saved cursor where it was:
// AutoSync saves only a cursor whose every change it applied.
func TestAutoSyncStreamFailsPartWay(t *testing.T) {
	ctx := context.Background()
	e := newSyncEnv(t, 3)
	cs := &changeSource{fakeSource: e.src}
	cursors := directory.FileCursors{Dir: t.TempDir()}
	a := &directory.AutoSync{Source: cs, Target: e.target, Signer: e.signer, OrgID: "org-1", Cursors: cursors}
	require.NoError(t, a.Full(ctx))
	before, err := cursors.LoadCursor(ctx, "ad")
	require.NoError(t, err)

	for i := 7; i <= 9; i++ {
		name := "user" + strconv.Itoa(i)
		cs.change(name, directory.Entry{ExternalID: "guid-" + strconv.Itoa(i), Username: name, CorporateEmail: name + "@example.test", Enabled: true})
	}
	cs.setFailAfter(2)
	_, err = a.Incremental(ctx)
	require.ErrorIs(t, err, directory.ErrUnavailable)
	after, err := cursors.LoadCursor(ctx, "ad")
	require.NoError(t, err)
	assert.Equal(t, before, after, "the cursors of the entries read are not saved")

	cs.setFailAfter(0)
	written, err := a.Incremental(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, written, "every change comes again")
	for i := 7; i <= 9; i++ {
		_, err := e.store.GetUserByExternalID(ctx, "ad", "guid-"+strconv.Itoa(i))
		require.NoError(t, err)
	}
	saved, err := cursors.LoadCursor(ctx, "ad")
	require.NoError(t, err)
	assert.Equal(t, "3", saved, "the final cursor, once every change is applied")
}

func TestAutoSyncRunSurvivesOutage(t *testing.T) {
	e := newSyncEnv(t, 3)
	cs := &changeSource{fakeSource: e.src}
	cs.fakeSource.down = true
	a := &directory.AutoSync{
		Source: cs, Target: e.target, Signer: e.signer,
		Cursors: directory.FileCursors{Dir: t.TempDir()}, Interval: 5 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(30 * time.Millisecond)
	cs.setDown(false)
	require.Eventually(t, func() bool {
		_, err := e.store.GetUserByExternalID(context.Background(), "ad", "guid-2")
		return err == nil
	}, 5*time.Second, 5*time.Millisecond, "the loop syncs once the source is back")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
