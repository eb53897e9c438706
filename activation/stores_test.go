package activation_test

import (
	"testing"

	"github.com/usher-sdk/usher/internal/teststores"
	"github.com/usher-sdk/usher/userstore"
)

// storeCases lists the fake and the SQL stores. The PostgreSQL case skips
// (or fails in CI) when the private server of `make test` is not running.
func storeCases() []teststores.Case { return teststores.All() }

// onEveryStore runs f as a subtest per store.
func onEveryStore(t *testing.T, f func(t *testing.T, store userstore.Store)) {
	t.Helper()
	for _, sc := range storeCases() {
		t.Run(sc.Name, func(t *testing.T) {
			f(t, sc.Open(t))
		})
	}
}
