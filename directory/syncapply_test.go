package directory_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// stores are the user stores the batch tests run on: the in-memory fake
// and SQLite, both userstore.SyncWriters, and memstore seen through the
// single-user methods only.
var stores = []struct {
	name string
	open func(t testing.TB) directory.SyncStore
}{
	{"memstore", func(t testing.TB) directory.SyncStore {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"SQLite", func(t testing.TB) directory.SyncStore {
		s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "users.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"single-user methods", func(t testing.TB) directory.SyncStore {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return plainStore{s}
	}},
}

// plainStore hides a store's SyncWriter capability.
type plainStore struct{ directory.SyncStore }

// batchEnv is a source, a target over a store and the organization's
// keys.
type batchEnv struct {
	*syncEnv
	pub      ed25519.PublicKey
	verifier *directory.RecordVerifier
}

// storeEnv returns a source of n users and a target over store that
// accepts records signed with a new key, or with pub when given.
func storeEnv(t testing.TB, store directory.SyncStore, n int, key ...ed25519.PrivateKey) *batchEnv {
	t.Helper()
	var priv ed25519.PrivateKey
	if len(key) > 0 {
		priv = key[0]
	} else {
		var err error
		_, priv, err = ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	verifier, err := directory.NewRecordVerifier(pub)
	require.NoError(t, err)
	target, err := directory.NewStoreTarget(store, verifier)
	require.NoError(t, err)
	src := newFakeSource("ad")
	for i := range n {
		k := strconv.Itoa(i)
		src.add("user"+k, "pw", directory.Entry{
			ExternalID: "guid-" + k, Username: "user" + k, FullName: "User " + k,
			CorporateEmail: "user" + k + "@example.test", Groups: []string{"staff", "team" + strconv.Itoa(i%7)}, Enabled: true,
		})
	}
	return &batchEnv{syncEnv: &syncEnv{src: src, target: target, signer: signer}, pub: pub, verifier: verifier}
}

// snapshot is what a store holds for source "ad": each user's record and
// signature by external ID, and the number of users.
func snapshot(t testing.TB, target *directory.StoreTarget) (map[string]directory.SyncedRecord, int) {
	t.Helper()
	out := map[string]directory.SyncedRecord{}
	n := 0
	for sr, err := range target.Synced(context.Background(), "ad") {
		require.NoError(t, err)
		out[sr.Record.ExternalID] = sr
		n++
	}
	return out, n
}

func TestStoreTargetBatches(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := st.open(t)
			e := storeEnv(t, store, 25)
			// A local user holds the username of one synced user.
			_, err := store.CreateUser(ctx, userstore.User{Username: "USER7", Enabled: true})
			require.NoError(t, err)

			p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
			require.NoError(t, err)
			var progress [][2]int
			res, err := directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{
				OrgID: "org-1", BatchSize: 10,
				Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) },
			})
			require.NoError(t, err)
			assert.Equal(t, 24, res.Applied[directory.SyncAdd], "one bad user does not hold back its batch")
			require.Len(t, res.Failed, 1)
			f := res.Failed[0]
			assert.Equal(t, "guid-7", f.Change.Record.ExternalID)
			require.ErrorIs(t, f, userstore.ErrConflict)
			assert.ErrorContains(t, f, "not synced from source \"ad\"")
			assert.Equal(t, directory.Identifier("org-1", "user7@example.test"), f.Identifier)
			assert.Equal(t, [2]int{25, 25}, progress[len(progress)-1])

			got, n := snapshot(t, e.target)
			assert.Equal(t, 24, n)
			u, err := store.GetUserByExternalID(ctx, "ad", "guid-12")
			require.NoError(t, err)
			assert.Equal(t, []string{"staff", "team5"}, u.Groups)
			assert.Equal(t, got["guid-12"].Signature, u.Attributes[directory.AttrSignature])

			// The record as stored verifies against the signature kept.
			require.NoError(t, e.verifier.Verify(got["guid-12"].Record, got["guid-12"].Signature))

			// Changes of each kind, in batches.
			upd := e.entry("user1")
			upd.FullName, upd.Roles, upd.PersonalEmail = "Renamed", []string{"admin"}, "me@home.test"
			e.src.add("user1", "pw", upd)
			grp := e.entry("user2")
			grp.Groups = []string{"staff"}
			e.src.add("user2", "pw", grp)
			dis := e.entry("user3")
			dis.Enabled = false
			e.src.add("user3", "pw", dis)
			p, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
			require.NoError(t, err)
			res, err = directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{BatchSize: 2})
			require.NoError(t, err)
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncUpdate: 1, directory.SyncGroups: 1, directory.SyncDeactivate: 1}, res.Applied)
			require.Len(t, res.Failed, 1, "user7 is still refused")
			u1, err := store.GetUserByExternalID(ctx, "ad", "guid-1")
			require.NoError(t, err)
			assert.Equal(t, "Renamed", u1.DisplayName)
			assert.Equal(t, "admin", u1.Attributes[directory.AttrRoles])
			assert.Equal(t, "me@home.test", u1.Attributes[directory.AttrPersonalEmail])

			upd.Roles, upd.PersonalEmail = nil, ""
			e.src.add("user1", "pw", upd)
			p, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
			require.NoError(t, err)
			_, err = directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{})
			require.NoError(t, err)
			u1, err = store.GetUserByExternalID(ctx, "ad", "guid-1")
			require.NoError(t, err)
			assert.NotContains(t, u1.Attributes, directory.AttrRoles, "an attribute the record no longer has is removed")
			assert.NotContains(t, u1.Attributes, directory.AttrPersonalEmail)

			p, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
			require.NoError(t, err)
			assert.Len(t, p.Pending(), 1, "only the refused user is left to do")
		})
	}
}

// forgingBatchTarget changes the record of one change of each batch after
// it was signed.
type forgingBatchTarget struct{ *directory.StoreTarget }

func (f forgingBatchTarget) ApplySyncBatch(ctx context.Context, changes []directory.SignedChange) []error {
	changes = slices.Clone(changes)
	changes[0].Change.Record.Groups = append(changes[0].Change.Record.Groups, "admins")
	return f.StoreTarget.ApplySyncBatch(ctx, changes)
}

func TestApplySyncBatchRefusesForgedRecords(t *testing.T) {
	ctx := context.Background()
	e := storeEnv(t, stores[1].open(t), 6)
	p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
	require.NoError(t, err)
	res, err := directory.ApplySync(ctx, p, forgingBatchTarget{e.target}, e.signer, directory.ApplyOptions{BatchSize: 3})
	require.NoError(t, err)
	assert.Equal(t, 4, res.Applied[directory.SyncAdd])
	require.Len(t, res.Failed, 2)
	for _, f := range res.Failed {
		require.ErrorIs(t, f, directory.ErrBadSignature)
	}
	_, n := snapshot(t, e.target)
	assert.Equal(t, 4, n)
}

func TestSyncStreamed(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := storeEnv(t, st.open(t), 30)
			p, res, err := directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{BatchSize: 4})
			require.NoError(t, err)
			assert.Equal(t, 30, p.Count(directory.SyncAdd))
			assert.Equal(t, 30, p.SourceUsers)
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncAdd: 30}, res.Applied)
			before, n := snapshot(t, e.target)
			assert.Equal(t, 30, n)

			p, res, err = directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
			require.NoError(t, err)
			assert.Equal(t, 30, p.Count(directory.SyncUnchanged))
			assert.Empty(t, res.Applied)
			again, _ := snapshot(t, e.target)
			assert.Equal(t, before, again, "a sync with nothing to do changes nothing")

			// 10 of 30 gone and one disabled, one added: the guard holds the
			// deactivations back, the addition goes through.
			e.src.mu.Lock()
			for i := range 10 {
				delete(e.src.users, "user"+strconv.Itoa(i))
			}
			e.src.mu.Unlock()
			dis := e.entry("user20")
			dis.Enabled = false
			e.src.add("user20", "pw", dis)
			e.src.add("new", "pw", directory.Entry{ExternalID: "guid-new", Username: "new", CorporateEmail: "new@example.test", Enabled: true})
			p, res, err = directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
			require.ErrorIs(t, err, directory.ErrSyncGuard)
			assert.Equal(t, 11, p.Count(directory.SyncDeactivate))
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncAdd: 1}, res.Applied)
			got, _ := snapshot(t, e.target)
			assert.True(t, got["guid-0"].Record.Enabled)
			assert.True(t, got["guid-20"].Record.Enabled, "a user disabled in the source waits for the guard too")

			_, res, err = directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{Force: true}, directory.ApplyOptions{})
			require.NoError(t, err)
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncDeactivate: 11}, res.Applied)
			got, n = snapshot(t, e.target)
			assert.Equal(t, 31, n, "users are never deleted")
			assert.False(t, got["guid-0"].Record.Enabled)
			assert.False(t, got["guid-20"].Record.Enabled)
		})
	}
}

// failingSource yields some users and then an error.
type failingSource struct {
	*fakeSource
	after int
}

func (f failingSource) Users(ctx context.Context) iter.Seq2[directory.Entry, error] {
	return func(yield func(directory.Entry, error) bool) {
		n := 0
		for e, err := range f.fakeSource.Users(ctx) {
			if n == f.after {
				yield(directory.Entry{}, directory.ErrUnavailable)
				return
			}
			n++
			if !yield(e, err) {
				return
			}
		}
	}
}

func TestSyncStreamedStopsAtSourceErrors(t *testing.T) {
	ctx := context.Background()
	e := storeEnv(t, stores[0].open(t), 20)
	_, _, err := directory.Sync(ctx, failingSource{e.src, 7}, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{BatchSize: 3})
	require.ErrorIs(t, err, directory.ErrUnavailable)
	_, n := snapshot(t, e.target)
	assert.Equal(t, 7, n, "what was planned before the error is applied")

	dup := e.entry("user1")
	e.src.add("copy-of-user1", "pw", dup)
	_, _, err = directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
	require.ErrorContains(t, err, "two entries have the external ID")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = directory.Sync(cctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestSyncInterruptedConverges stops syncs part way, at batch boundaries
// and at random, and runs them again: the result is the one of a sync
// that was never interrupted, with no duplicates.
func TestSyncInterruptedConverges(t *testing.T) {
	for _, st := range stores[:2] {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, key, err := ed25519.GenerateKey(rand.Reader)
			require.NoError(t, err)
			whole := storeEnv(t, st.open(t), 200, key)
			whole.sync(t, directory.PlanOptions{})
			want, _ := snapshot(t, whole.target)
			e := storeEnv(t, st.open(t), 0, key)
			e.src = whole.src
			for stopAfter := 1; ; stopAfter *= 3 {
				cctx, cancel := context.WithCancel(ctx)
				calls := 0
				p, err := directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
				require.NoError(t, err)
				if len(p.Pending()) == 0 {
					cancel()
					break
				}
				_, err = directory.ApplySync(cctx, p, e.target, e.signer, directory.ApplyOptions{
					BatchSize: 16,
					Progress: func(int, int) {
						if calls++; calls == stopAfter {
							cancel()
						}
					},
				})
				cancel()
				if err != nil {
					require.ErrorIs(t, err, context.Canceled)
				}
			}
			got, n := snapshot(t, e.target)
			assert.Equal(t, 200, n)
			for id, w := range want {
				assert.Equal(t, w.Record, got[id].Record, id)
			}
		})
	}
}

func TestAutoSyncIncrementalBatches(t *testing.T) {
	ctx := context.Background()
	e := storeEnv(t, stores[1].open(t), 5)
	cs := &changeSource{fakeSource: e.src}
	a := &directory.AutoSync{Source: cs, Target: e.target, Signer: e.signer, OrgID: "org-1", Cursors: directory.FileCursors{Dir: t.TempDir()}}
	require.NoError(t, a.Full(ctx))
	u := e.entry("user1")
	u.FullName = "First"
	cs.change("user1", u)
	u.FullName = "Second"
	cs.change("user1", u)
	cs.change("user2", e.entry("user2")) // unchanged
	for i := range 50 {
		k := fmt.Sprint(100 + i)
		cs.change("user"+k, directory.Entry{ExternalID: "guid-" + k, Username: "user" + k, CorporateEmail: "user" + k + "@example.test", Enabled: true})
	}
	written, err := a.Incremental(ctx)
	require.NoError(t, err)
	assert.Equal(t, 51, written, "a user that comes twice is written once, an unchanged one not at all")
	got, _ := snapshot(t, e.target)
	assert.Equal(t, "Second", got["guid-1"].Record.FullName, "the last entry wins")
	assert.Len(t, got, 55)
}

// BenchmarkApplySync times a first sync of 1,000 users (plan, sign,
// verify, write) into a fresh store, and PlanSync+ApplySync against Sync.
func BenchmarkApplySync(b *testing.B) {
	for _, st := range stores {
		for _, streamed := range []bool{false, true} {
			name := st.name + "/two-step"
			if streamed {
				name = st.name + "/streamed"
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				users := 0
				for b.Loop() {
					b.StopTimer()
					e := storeEnv(b, st.open(b), 1000)
					b.StartTimer()
					var res *directory.SyncResult
					var err error
					if streamed {
						_, res, err = directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
					} else {
						var p *directory.Plan
						p, err = directory.PlanSync(ctx, e.src, e.target, directory.PlanOptions{})
						require.NoError(b, err)
						res, err = directory.ApplySync(ctx, p, e.target, e.signer, directory.ApplyOptions{})
					}
					require.NoError(b, err)
					require.NoError(b, res.Err())
					users += res.Applied[directory.SyncAdd]
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(users), "ns/user")
			})
		}
	}
}

// BenchmarkRecordSignatures times what every synced record costs in
// cryptography: signing by the agent and verifying by the target.
func BenchmarkRecordSignatures(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(b, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(b, err)
	verifier, err := directory.NewRecordVerifier(pub)
	require.NoError(b, err)
	r := directory.RecordOf(directory.Entry{Source: "ad", ExternalID: "6f1c2b9e-51a4-4d0b-9a57-0c8f3e1d2a44", Username: "user12345",
		FullName: "User Twelve", CorporateEmail: "user12345@example.test", Groups: []string{"staff", "team3"}, Enabled: true})
	sig, err := signer.Sign(r)
	require.NoError(b, err)
	b.Run("Sign/Ed25519", func(b *testing.B) {
		for b.Loop() {
			_, _ = signer.Sign(r)
		}
	})
	b.Run("Verify/Ed25519", func(b *testing.B) {
		for b.Loop() {
			_ = verifier.Verify(r, sig)
		}
	})
	// A batch of 1,000 records as a sync signs it (SignBatch), and as a
	// target that has seen none of its heads verifies it; per record.
	batch := make([]directory.Record, 1000)
	for i := range batch {
		k := strconv.Itoa(i)
		batch[i] = directory.RecordOf(directory.Entry{Source: "ad", ExternalID: "6f1c2b9e-51a4-4d0b-9a57-" + k, Username: "user" + k,
			FullName: "User " + k, CorporateEmail: "user" + k + "@example.test", Groups: []string{"staff", "team3"}, Enabled: true})
	}
	sigs, err := signer.SignBatch(batch)
	require.NoError(b, err)
	b.Run("SignBatch/Ed25519", func(b *testing.B) {
		for b.Loop() {
			_, _ = signer.SignBatch(batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
	})
	b.Run("VerifyBatch/Ed25519", func(b *testing.B) {
		for b.Loop() {
			v, _ := directory.NewRecordVerifier(pub)
			for i, r := range batch {
				_ = v.Verify(r, sigs[i])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
	})
}

// A first sync of a large directory: Sync streams the source into the
// store while it plans, in batches, and holds deactivations back until the
// whole source was read and the guard allows them.
func ExampleSync() {
	ctx := context.Background()
	src := newFakeSource("hr")
	for i := range 2500 {
		k := strconv.Itoa(i)
		src.add("user"+k, "", directory.Entry{ExternalID: k, Username: "user" + k, CorporateEmail: "user" + k + "@example.test", Enabled: true})
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := directory.NewRecordSigner(priv)
	verifier, _ := directory.NewRecordVerifier(pub)
	store := memstore.New()
	defer store.Close()
	target, _ := directory.NewStoreTarget(store, verifier)

	batches := 0
	plan, res, err := directory.Sync(ctx, src, target, signer, directory.PlanOptions{}, directory.ApplyOptions{
		OrgID:    "org-1",
		Progress: func(done, total int) { batches++ },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("source users:", plan.SourceUsers, "added:", res.Applied[directory.SyncAdd], "in batches:", batches)
	// Output:
	// source users: 2500 added: 2500 in batches: 3
}

// hiddenLookup hides a target's SyncBatchLookup capability, so that Sync
// reads the whole target first.
type hiddenLookup struct{ directory.SyncTarget }

func TestSigningStoreTarget(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := st.open(t)
			e := storeEnv(t, store, 40)
			_, err := directory.NewSigningStoreTarget(store, nil)
			require.Error(t, err)
			target, err := directory.NewSigningStoreTarget(store, e.signer)
			require.NoError(t, err)

			// A trusted sync: signed once, written without verifying again.
			_, res, err := directory.Sync(ctx, e.src, target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{BatchSize: 7})
			require.NoError(t, err)
			require.NoError(t, res.Err())
			assert.Equal(t, 40, res.Applied[directory.SyncAdd])
			u := e.entry("user3")
			u.FullName = "Renamed"
			e.src.add("user3", "pw", u)
			p, err := directory.PlanSync(ctx, e.src, target, directory.PlanOptions{})
			require.NoError(t, err)
			res, err = directory.ApplySync(ctx, p, target, e.signer, directory.ApplyOptions{})
			require.NoError(t, err)
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncUpdate: 1}, res.Applied)

			// Every stored signature verifies with the public key.
			got, n := snapshot(t, target)
			require.Equal(t, 40, n)
			for id, sr := range got {
				assert.NoError(t, e.verifier.Verify(sr.Record, sr.Signature), id)
			}
			assert.Equal(t, "Renamed", got["guid-3"].Record.FullName)

			// What crosses a boundary is verified: the target's own methods,
			// and records of another signer.
			ch := directory.SyncChange{Kind: directory.SyncUpdate, Record: got["guid-1"].Record}
			ch.Record.Groups = append(ch.Record.Groups, "admins")
			require.ErrorIs(t, target.ApplySync(ctx, ch, got["guid-1"].Signature), directory.ErrBadSignature)
			errs := target.ApplySyncBatch(ctx, []directory.SignedChange{{Change: ch, Signature: got["guid-1"].Signature}})
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], directory.ErrBadSignature)
			_, other, err := ed25519.GenerateKey(rand.Reader)
			require.NoError(t, err)
			otherSigner, err := directory.NewRecordSigner(other)
			require.NoError(t, err)
			u.FullName = "Forged"
			e.src.add("user3", "pw", u)
			_, res, err = directory.Sync(ctx, e.src, target, otherSigner, directory.PlanOptions{}, directory.ApplyOptions{})
			require.NoError(t, err)
			require.Len(t, res.Failed, 1)
			require.ErrorIs(t, res.Failed[0], directory.ErrBadSignature)
			res, err = directory.ApplySync(ctx, p, forgingBatchTarget{target}, e.signer, directory.ApplyOptions{})
			require.NoError(t, err)
			require.Len(t, res.Failed, 1, "a wrapper of a trusted target hands over what it was given, verified")
			require.ErrorIs(t, res.Failed[0], directory.ErrBadSignature)
			got, _ = snapshot(t, target)
			assert.Equal(t, "Renamed", got["guid-3"].Record.FullName)
			assert.Equal(t, []string{"staff", "team1"}, got["guid-1"].Record.Groups)
		})
	}
}

// TestSyncKeepsOnlyPendingChanges checks that a plan of Sync keeps what
// is still to be done (the deactivations) and what Only selects, and
// counts the rest: its memory does not grow with the users.
func TestSyncKeepsOnlyPendingChanges(t *testing.T) {
	for _, hide := range []bool{false, true} {
		t.Run(fmt.Sprintf("hidden lookup %v", hide), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := storeEnv(t, stores[1].open(t), 30)
			var target directory.SyncTarget = e.target
			if hide {
				target = hiddenLookup{e.target}
			}
			_, _, err := directory.Sync(ctx, e.src, target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{BatchSize: 4})
			require.NoError(t, err)

			u := e.entry("user5")
			u.FullName = "Changed"
			e.src.add("user5", "pw", u)
			e.src.mu.Lock()
			delete(e.src.users, "user9")
			e.src.mu.Unlock()
			p, res, err := directory.Sync(ctx, e.src, target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{BatchSize: 4})
			require.NoError(t, err)
			require.Len(t, p.Changes, 1, "changes carried out, and unchanged users, are counted, not kept")
			assert.Equal(t, directory.SyncDeactivate, p.Changes[0].Kind)
			assert.True(t, p.Changes[0].Gone)
			assert.Equal(t, 1, p.Count(directory.SyncUpdate))
			assert.Equal(t, 1, p.Count(directory.SyncDeactivate))
			assert.Equal(t, 28, p.Count(directory.SyncUnchanged))
			assert.Equal(t, 29, p.SourceUsers)
			assert.Equal(t, 30, p.TargetUsers)
			assert.Equal(t, map[directory.SyncKind]int{directory.SyncUpdate: 1, directory.SyncDeactivate: 1}, res.Applied)

			// A selected user is kept even when unchanged, so that a caller
			// can tell it from one that neither side has.
			only := func(r directory.Record) bool { return r.ExternalID == "guid-7" }
			p, res, err = directory.Sync(ctx, e.src, target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{Only: only})
			require.NoError(t, err)
			require.Len(t, p.Changes, 1)
			assert.Equal(t, directory.SyncUnchanged, p.Changes[0].Kind)
			assert.Equal(t, 29, p.Count(directory.SyncUnchanged), "guid-9, deactivated and gone, is neither")
			assert.Empty(t, res.Applied)
		})
	}
}

// A sync agent that signs and writes in one process gives the target its
// signer: records are signed once and written without being verified
// again, and every stored signature still verifies with the public key.
func ExampleNewSigningStoreTarget() {
	ctx := context.Background()
	src := newFakeSource("hr")
	for i := range 3 {
		k := strconv.Itoa(i)
		src.add("user"+k, "", directory.Entry{ExternalID: k, Username: "user" + k, CorporateEmail: "user" + k + "@example.test", Enabled: true})
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := directory.NewRecordSigner(priv)
	store := memstore.New()
	defer store.Close()
	target, _ := directory.NewSigningStoreTarget(store, signer)

	_, res, err := directory.Sync(ctx, src, target, signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "org-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, _ := directory.NewRecordVerifier(pub)
	valid := 0
	for sr, err := range target.Synced(ctx, "hr") {
		if err == nil && verifier.Verify(sr.Record, sr.Signature) == nil {
			valid++
		}
	}
	fmt.Println("added:", res.Applied[directory.SyncAdd], "valid signatures:", valid)
	// Output:
	// added: 3 valid signatures: 3
}
