package sqlstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

// TestSyncWriterConformance runs storetest's SyncWriter checks on both
// databases.
func TestSyncWriterConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		storetest.RunSyncWriter(t, func(t *testing.T) userstore.Store { return b.fresh(t) })
	})
}

// syncedBatch returns n new synced users numbered from first, in a shared
// group and one of 50 teams.
func syncedBatch(first, n int) []userstore.SyncedUser {
	batch := make([]userstore.SyncedUser, n)
	for i := range batch {
		k := first + i
		batch[i] = userstore.SyncedUser{
			User: userstore.User{Username: fmt.Sprint("user", k), Email: fmt.Sprint("user", k, "@example.com"), Enabled: true,
				DisplayName: fmt.Sprint("User ", k), Source: "dir", ExternalID: fmt.Sprint("ext-", k),
				Attributes: map[string]string{"sync.signature": "sig"}},
			Groups: []string{"staff", fmt.Sprint("team", k%50)},
		}
	}
	return batch
}

// TestUpsertSyncedLargeBatch crosses the IN-list and multi-row INSERT
// chunk sizes, then updates every user of the batch.
func TestUpsertSyncedLargeBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		batch := syncedBatch(0, 1234)
		out, err := s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		require.Len(t, out, len(batch))
		n := 0
		var last int64
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			n++
			require.Greater(t, c.Seq, last)
			last = c.Seq
		}
		assert.Equal(t, 1234*3+51, n, "user.created and two member.added per user, group.created per group")
		got, err := s.GetUserByExternalID(ctx, "dir", "ext-1233")
		require.NoError(t, err)
		assert.Equal(t, out[1233], got)

		for i := range batch {
			batch[i].User.DisplayName += " (changed)"
			batch[i].Groups = batch[i].Groups[:1]
		}
		out, err = s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		got, err = s.GetUserByExternalID(ctx, "dir", "ext-7")
		require.NoError(t, err)
		assert.Equal(t, out[7], got)
		assert.Equal(t, []string{"staff"}, got.Groups)
		assert.Equal(t, int64(2), got.Version)
	})
}

// BenchmarkUpsertSynced writes batches of 1,000 new users in two groups
// each (a first sync), and reports the time per user.
func BenchmarkUpsertSynced(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.fresh(b)
			n := 0
			for b.Loop() {
				_, err := s.UpsertSynced(b.Context(), syncedBatch(n, 1000))
				require.NoError(b, err)
				n += 1000
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/user")
		})
	}
}

func TestUsersByExternalID(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		testUsersByExternalID(t, b.fresh(t))
	})
}

func testUsersByExternalID(t *testing.T, s *sqlstore.Store) {
	ctx := context.Background()
	var batch []userstore.SyncedUser
	var ids []string
	for i := range 1200 {
		k := strconv.Itoa(i)
		batch = append(batch, userstore.SyncedUser{User: userstore.User{Source: "ad", ExternalID: "ext-" + k, Username: "user" + k, Enabled: true}, Groups: []string{"staff"}})
		if i%2 == 0 {
			ids = append(ids, "ext-"+k)
		}
	}
	_, err := s.UpsertSynced(ctx, batch)
	require.NoError(t, err)
	ids = append(ids, "", "ext-none", "ext-1\x00")
	got, err := s.UsersByExternalID(ctx, "ad", ids)
	require.NoError(t, err)
	require.Len(t, got, 600)
	for _, u := range got {
		assert.Equal(t, "ad", u.Source)
		assert.Equal(t, []string{"staff"}, u.Groups)
	}
	got, err = s.UsersByExternalID(ctx, "other", ids)
	require.NoError(t, err)
	assert.Empty(t, got, "users of another source are not returned")
}

// TestSyncedStates crosses SyncedStates' page size.
func TestSyncedStates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		const n = 5100
		batch := make([]userstore.SyncedUser, n)
		for i := range batch {
			k := strconv.Itoa(i)
			batch[i] = userstore.SyncedUser{User: userstore.User{Source: "ad", ExternalID: "ext-" + k, Username: "user" + k, Enabled: i%3 != 0}}
		}
		_, err := s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		_, err = s.CreateUser(ctx, userstore.User{Username: "local", Enabled: true})
		require.NoError(t, err)
		seen := map[string]bool{}
		for st, err := range s.SyncedStates(ctx, "ad") {
			require.NoError(t, err)
			require.NotContains(t, seen, st.ExternalID)
			seen[st.ExternalID] = st.Enabled
		}
		require.Len(t, seen, n)
		assert.False(t, seen["ext-3"])
		assert.True(t, seen["ext-4"])
		for range s.SyncedStates(ctx, "ad") {
			break // honours break
		}
		for range s.SyncedStates(ctx, "other") {
			t.Fatal("no user of source other")
		}
	})
}

// TestUpsertSyncedFeedGroupIDs checks that the group and member events of
// a batch carry the group's ID, for groups it creates and groups it finds.
func TestUpsertSyncedFeedGroupIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.fresh(t)
		existing, err := s.CreateGroup(ctx, userstore.Group{Name: "old"})
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, []userstore.SyncedUser{
			{User: userstore.User{Source: "ad", ExternalID: "e1", Username: "u1", Enabled: true}, Groups: []string{"old", "new"}},
		})
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, []userstore.SyncedUser{
			{User: userstore.User{Source: "ad", ExternalID: "e1", Username: "u1", Enabled: true}, Groups: []string{"new"}},
		})
		require.NoError(t, err)
		created, err := s.GetGroup(ctx, "new")
		require.NoError(t, err)
		want := map[string]string{"old": existing.ID, "new": created.ID}
		require.Len(t, created.ID, 32)
		kinds := map[userstore.ChangeKind]int{}
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			if c.Group == "" {
				continue
			}
			kinds[c.Kind]++
			assert.Equal(t, want[c.Group], c.GroupID, "%s of group %s", c.Kind, c.Group)
		}
		assert.Equal(t, map[userstore.ChangeKind]int{userstore.GroupCreated: 2, userstore.MemberAdded: 2, userstore.MemberRemoved: 1}, kinds)
	})
}
