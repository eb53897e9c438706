package memstore_test

import (
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
