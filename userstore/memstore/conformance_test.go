package memstore_test

import (
	"testing"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) userstore.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestConformanceSmallPages runs the suite with streams that copy out two
// records at a time, so that every stream crosses page boundaries.
func TestConformanceSmallPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T) userstore.Store {
		s := memstore.New()
		s.SetPageSize(2)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
