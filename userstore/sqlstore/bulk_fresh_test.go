package sqlstore_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// After a batch that found none of its users stored (a first sync), the
// next batch of the source takes its users for new without reading
// them; every way that guess can be wrong gives what reading them would
// have given.
func TestUpsertSyncedAfterFirstSync(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		var logs bytes.Buffer
		s := b.fresh(t, sqlstore.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		// A wrong guess meets the unique index on external IDs or, first,
		// the one on usernames: either way the batch is tried again.
		retries := func() int {
			return strings.Count(logs.String(), "a user taken for new is stored") + strings.Count(logs.String(), "username is taken; trying again")
		}

		first, err := s.UpsertSynced(ctx, syncedBatch(0, 500)) // read: all new
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, syncedBatch(500, 100)) // taken for new, and new
		require.NoError(t, err)
		assert.Equal(t, 0, retries())

		// Half stored (changed), half new: tried again with them read.
		mixed := syncedBatch(550, 100)
		for i := range mixed {
			mixed[i].User.DisplayName += " (changed)"
		}
		out, err := s.UpsertSynced(ctx, mixed)
		require.NoError(t, err)
		assert.Equal(t, 1, retries())
		for i, u := range out {
			assert.Equal(t, int64(map[bool]int{true: 2, false: 1}[i < 50]), u.Version, "user %d", 550+i)
		}
		got, err := s.GetUserByExternalID(ctx, "dir", "ext-0")
		require.NoError(t, err)
		assert.Equal(t, first[0], got, "untouched")

		// A batch that read stored users does not guess for the next one.
		out, err = s.UpsertSynced(ctx, mixed[:10])
		require.NoError(t, err)
		assert.Equal(t, 1, retries())
		assert.Equal(t, int64(2), out[0].Version, "unchanged")

		// Fresh again; then a stored user, unchanged, among new ones: its
		// username and external ID are both taken, whichever index
		// refuses first.
		_, err = s.UpsertSynced(ctx, syncedBatch(1000, 500))
		require.NoError(t, err)
		batch := append(syncedBatch(1500, 5), syncedBatch(0, 1)...)
		out, err = s.UpsertSynced(ctx, batch)
		require.NoError(t, err)
		assert.Equal(t, first[0], out[5])
		assert.Equal(t, 2, retries())

		// Fresh again; a new user whose username another user has is
		// refused as without the guess.
		_, err = s.UpsertSynced(ctx, syncedBatch(2000, 500))
		require.NoError(t, err)
		clash := syncedBatch(2500, 2)
		clash[1].User.Username = "user3"
		_, err = s.UpsertSynced(ctx, clash)
		require.ErrorIs(t, err, userstore.ErrConflict)
		assert.Equal(t, 3, retries())
		_, err = s.GetUserByExternalID(ctx, "dir", "ext-2500")
		require.ErrorIs(t, err, userstore.ErrNotFound, "the batch changed nothing")

		// A wrong guess stops the guessing; a small batch of new users
		// (an incremental step) does not start it.
		_, err = s.UpsertSynced(ctx, syncedBatch(0, 1))
		require.NoError(t, err)
		assert.Equal(t, 4, retries())
		_, err = s.UpsertSynced(ctx, syncedBatch(3000, 10))
		require.NoError(t, err)
		_, err = s.UpsertSynced(ctx, syncedBatch(0, 1))
		require.NoError(t, err)
		assert.Equal(t, 4, retries())

		total := 0
		for _, err := range s.ListUsers(ctx, userstore.ListOptions{Source: "dir"}) {
			require.NoError(t, err)
			total++
		}
		assert.Equal(t, 650+500+5+500+10, total)
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
