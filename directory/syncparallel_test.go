package directory_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// parallelTarget is a StoreTarget that takes n batches at once and
// counts how many it had at the same time.
type parallelTarget struct {
	*directory.StoreTarget
	n                   int
	inFlight, maxFlight atomic.Int32
}

func (p *parallelTarget) ParallelBatches() int { return p.n }

func (p *parallelTarget) ApplySyncBatch(ctx context.Context, changes []directory.SignedChange) []error {
	cur := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for old := p.maxFlight.Load(); cur > old && !p.maxFlight.CompareAndSwap(old, cur); old = p.maxFlight.Load() {
	}
	time.Sleep(5 * time.Millisecond) // a server's round trip
	return p.StoreTarget.ApplySyncBatch(ctx, changes)
}

func newParallelTarget(t *testing.T, n int) (*parallelTarget, *directory.RecordSigner, *memstore.Store) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	verifier, err := directory.NewRecordVerifier(pub)
	require.NoError(t, err)
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	st, err := directory.NewStoreTarget(store, verifier)
	require.NoError(t, err)
	return &parallelTarget{StoreTarget: st, n: n}, signer, store
}

func parallelSource(n int) *fakeSource {
	src := newFakeSource("hr")
	for i := range n {
		k := strconv.Itoa(i)
		src.add("user"+k, "", directory.Entry{ExternalID: k, Username: "user" + k, CorporateEmail: "user" + k + "@example.test", Enabled: true})
	}
	return src
}

// A ParallelBatchTarget gets up to ParallelBatches batches at once, and
// the sync's result is the one a sequential sync gives.
func TestSyncParallelBatches(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			target, signer, store := newParallelTarget(t, n)
			p, res, err := directory.Sync(t.Context(), parallelSource(2500), target, signer, directory.PlanOptions{},
				directory.ApplyOptions{OrgID: "acme", BatchSize: 100})
			require.NoError(t, err)
			require.NoError(t, res.Err())
			assert.Equal(t, 2500, p.Count(directory.SyncAdd))
			assert.Equal(t, 2500, res.Applied[directory.SyncAdd])
			assert.Equal(t, int32(n), target.maxFlight.Load(), "batches with the target at once")
			users := 0
			for _, err := range store.ListUsers(t.Context(), userstore.ListOptions{}) {
				require.NoError(t, err)
				users++
			}
			assert.Equal(t, 2500, users)
		})
	}
}

// A sync cancelled while batches are with the target returns only once
// none is left running.
func TestSyncParallelBatchesCancel(t *testing.T) {
	target, signer, _ := newParallelTarget(t, 4)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, err := directory.Sync(ctx, parallelSource(3000), target, signer, directory.PlanOptions{},
		directory.ApplyOptions{OrgID: "acme", BatchSize: 100, Progress: func(done, _ int) {
			if done >= 300 {
				cancel()
			}
		}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, target.inFlight.Load(), "no call to the target outlives the sync")
}

// A StoreTarget takes two batches at once when its store writes batches
// (one is prepared while the other is written), one otherwise; a sync
// through it writes every user once.
func TestStoreTargetParallelBatches(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	batched, err := directory.NewSigningStoreTarget(store, signer)
	require.NoError(t, err)
	assert.Equal(t, 2, batched.ParallelBatches())
	plain, err := directory.NewSigningStoreTarget(plainStore{store}, signer)
	require.NoError(t, err)
	assert.Equal(t, 1, plain.ParallelBatches())

	_, res, err := directory.Sync(t.Context(), parallelSource(2500), batched, signer, directory.PlanOptions{},
		directory.ApplyOptions{OrgID: "acme", BatchSize: 100})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	assert.Equal(t, 2500, res.Applied[directory.SyncAdd])
	ids := map[string]bool{}
	for u, err := range store.ListUsers(t.Context(), userstore.ListOptions{}) {
		require.NoError(t, err)
		ids[u.ExternalID] = true
	}
	assert.Len(t, ids, 2500)
}
