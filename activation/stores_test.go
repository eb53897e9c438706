package activation_test

import (
	"testing"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// storeCase is one user-store implementation the Manager's tests run on.
type storeCase struct {
	name string
	open func(tb testing.TB) userstore.Store
}

// storeCases lists the fake and the SQL stores. The PostgreSQL case skips
// (or fails in CI) when the private server of `make test` is not running.
func storeCases() []storeCase {
	return []storeCase{
		{"memstore", func(tb testing.TB) userstore.Store {
			s := memstore.New()
			tb.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

// onEveryStore runs f as a subtest per store.
func onEveryStore(t *testing.T, f func(t *testing.T, store userstore.Store)) {
	t.Helper()
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			f(t, sc.open(t))
		})
	}
}
