package sqlstore_test

import (
	"testing"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

// TestConformance runs the userstore conformance suite on both databases:
// each subtest gets a fresh database (a file in a temporary folder, or a
// new PostgreSQL database).
func TestConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		storetest.Run(t, func(t *testing.T) userstore.Store { return b.fresh(t) })
	})
}
