package memstore_test

import (
	"testing"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/onboarding/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(testing.TB) onboarding.Store { return memstore.New() })
}
