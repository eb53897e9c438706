package directory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// markStore records the New mark of every user UpsertSynced is given.
type markStore struct {
	*memstore.Store
	mu    sync.Mutex
	marks map[string][]bool // external ID -> marks, in order
}

func (m *markStore) UpsertSynced(ctx context.Context, users []userstore.SyncedUser) ([]userstore.User, error) {
	m.mu.Lock()
	for _, su := range users {
		m.marks[su.User.ExternalID] = append(m.marks[su.User.ExternalID], su.New)
	}
	m.mu.Unlock()
	return m.Store.UpsertSynced(ctx, users)
}

// A StoreTarget marks a sync's additions New, so that a store need not
// look them up, and nothing else.
func TestStoreTargetMarksAdditionsNew(t *testing.T) {
	ctx := context.Background()
	store := &markStore{Store: memstore.New(), marks: map[string][]bool{}}
	t.Cleanup(func() { _ = store.Close() })
	e := storeEnv(t, store, 3)

	_, _, err := directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, map[string][]bool{"guid-0": {true}, "guid-1": {true}, "guid-2": {true}}, store.marks)

	e.src.add("user0", "pw", directory.Entry{ExternalID: "guid-0", Username: "user0", FullName: "User Zero",
		CorporateEmail: "user0@example.test", Groups: []string{"staff"}, Enabled: true})
	e.src.add("user9", "pw", directory.Entry{ExternalID: "guid-9", Username: "user9", FullName: "User 9",
		CorporateEmail: "user9@example.test", Enabled: true})
	_, res, err := directory.Sync(ctx, e.src, e.target, e.signer, directory.PlanOptions{}, directory.ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, map[directory.SyncKind]int{directory.SyncAdd: 1, directory.SyncUpdate: 1}, res.Applied)
	assert.Equal(t, []bool{true, false}, store.marks["guid-0"], "the update is not marked")
	assert.Equal(t, []bool{true}, store.marks["guid-9"])
}
