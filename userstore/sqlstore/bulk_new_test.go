package sqlstore_test

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// markNew marks every user of batch New, as directory's StoreTarget
// marks a sync's additions, and returns it.
func markNew(batch []userstore.SyncedUser) []userstore.SyncedUser {
	for i := range batch {
		batch[i].New = true
	}
	return batch
}

// A batch whose users are all marked New is not read first; every way
// the mark can be wrong gives what an unmarked batch would have given.
func TestUpsertSyncedMarkedNew(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		var logs bytes.Buffer
		s := b.fresh(t, sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		// A wrong mark meets the unique index on external IDs or, first,
		// the one on usernames: either way the batch is tried again.
		retries := func() int {
			return strings.Count(logs.String(), "a user marked new is stored") + strings.Count(logs.String(), "username is taken; trying again")
		}

		first, err := s.UpsertSynced(ctx, markNew(syncedBatch(0, 100)))
		require.NoError(t, err)
		assert.Equal(t, 0, retries())
		got, err := s.GetUserByExternalID(ctx, "dir", "ext-99")
		require.NoError(t, err)
		assert.Equal(t, first[99], got)

		// Half stored (changed), half new, all marked: tried again with
		// them read.
		mixed := syncedBatch(50, 100)
		for i := range mixed {
			mixed[i].User.DisplayName += " (changed)"
		}
		out, err := s.UpsertSynced(ctx, markNew(slices.Clone(mixed)))
		require.NoError(t, err)
		assert.Equal(t, 1, retries())
		for i, u := range out {
			assert.Equal(t, int64(map[bool]int{true: 2, false: 1}[i < 50]), u.Version, "user %d", 50+i)
		}
		got, err = s.GetUserByExternalID(ctx, "dir", "ext-0")
		require.NoError(t, err)
		assert.Equal(t, first[0], got, "untouched")

		// One user not marked: the batch is read, as before.
		partly := markNew(syncedBatch(200, 10))
		partly[3].New = false
		_, err = s.UpsertSynced(ctx, partly)
		require.NoError(t, err)
		assert.Equal(t, 1, retries())

		// A stored user, unchanged, among new ones, all marked: its
		// username and external ID are both taken, whichever index
		// refuses first.
		out, err = s.UpsertSynced(ctx, markNew(append(syncedBatch(300, 5), syncedBatch(0, 1)...)))
		require.NoError(t, err)
		assert.Equal(t, first[0], out[5])
		assert.Equal(t, 2, retries())

		// A new user whose username another user has is refused as
		// without the mark, and the batch writes nothing.
		clash := markNew(syncedBatch(400, 2))
		clash[1].User.Username = "user3"
		_, err = s.UpsertSynced(ctx, clash)
		require.ErrorIs(t, err, userstore.ErrConflict)
		var se *userstore.SyncedError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.Index)
		assert.Equal(t, 3, retries())
		_, err = s.GetUserByExternalID(ctx, "dir", "ext-400")
		require.ErrorIs(t, err, userstore.ErrNotFound, "the batch changed nothing")

		total := 0
		for _, err := range s.ListUsers(ctx, userstore.ListOptions{Source: "dir"}) {
			require.NoError(t, err)
			total++
		}
		assert.Equal(t, 150+10+5, total)
		created := 0
		for c, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			if c.Kind == userstore.UserCreated {
				created++
			}
		}
		assert.Equal(t, total, created, "one user.created per user, none from a failed try")
	})
}
