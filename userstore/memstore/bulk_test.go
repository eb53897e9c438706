package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

func TestSyncWriterConformance(t *testing.T) {
	storetest.RunSyncWriter(t, func(t *testing.T) userstore.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// BenchmarkUpsertSynced writes batches of 1,000 new users in two groups.
func BenchmarkUpsertSynced(b *testing.B) {
	s := memstore.New()
	b.Cleanup(func() { _ = s.Close() })
	n := 0
	for b.Loop() {
		batch := make([]userstore.SyncedUser, 1000)
		for i := range batch {
			n++
			batch[i] = userstore.SyncedUser{
				User:   userstore.User{Username: fmt.Sprint("user", n), Email: fmt.Sprint("user", n, "@example.com"), Enabled: true, Source: "dir", ExternalID: fmt.Sprint(n)},
				Groups: []string{"staff", fmt.Sprint("team", n%50)},
			}
		}
		_, err := s.UpsertSynced(b.Context(), batch)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/user")
}

// A directory sync writes many users at once through the optional
// userstore.SyncWriter capability: matched by source and external ID,
// created or updated, with their whole group lists, in one step.
func ExampleStore_UpsertSynced() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	var w userstore.SyncWriter = s // found by type assertion on a userstore.Store
	users, err := w.UpsertSynced(ctx, []userstore.SyncedUser{
		{User: userstore.User{Username: "ada", Enabled: true, Source: "hr", ExternalID: "1"}, Groups: []string{"engineering"}},
		{User: userstore.User{Username: "bob", Enabled: true, Source: "hr", ExternalID: "2"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(users[0].Username, users[0].Groups, users[0].Version)

	// The same user again, renamed: updated in place.
	users, _ = w.UpsertSynced(ctx, []userstore.SyncedUser{
		{User: userstore.User{Username: "ada.l", Enabled: true, Source: "hr", ExternalID: "1"}, Groups: []string{"engineering"}},
	})
	fmt.Println(users[0].Username, users[0].Version)
	// Output:
	// ada [engineering] 1
	// ada.l 2
}
