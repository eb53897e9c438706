package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
)

// TestInMemorySQLite: a private in-memory database has one connection,
// which River shares.
func TestInMemorySQLite(t *testing.T) {
	t.Parallel()
	db := openDB(t, "sqlite::memory:")
	o, err := outbox.New(db, fastConfig())
	require.NoError(t, err)
	got := make(chan string, 10)
	require.NoError(t, o.Start(t.Context(), senderFunc(func(_ context.Context, d authrequest.Delivery) error {
		got <- d.ID
		return nil
	})))
	defer stop(t, o)
	insert(t, db, o, delivery(1), delivery(2))
	for range 2 {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatal("not delivered")
		}
	}
	require.NoError(t, o.Close(t.Context()))
}
