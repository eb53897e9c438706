package memstore_test

import (
	"testing"

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
