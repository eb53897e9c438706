package memstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/authrequest/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) authrequest.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, storetest.WithDeliveries(func(_ *testing.T, s authrequest.Store) []authrequest.Delivery {
		return s.(*memstore.Store).Deliveries()
	}))
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetRequest(ctx, "x")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.CreateProfile(ctx, authrequest.Profile{Name: "p"})
	assert.ErrorIs(t, err, context.Canceled)
	list, err := s.ListProfiles(t.Context(), "")
	require.NoError(t, err)
	assert.Empty(t, list, "nothing stored")
}
