package storetest_test

import (
	"testing"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/storetest"
)

// A store's own test file runs the suite with a factory that makes a fresh
// store for each subtest and closes it when the subtest ends. (The example
// only compiles: Run needs the *testing.T of a test function.)
func ExampleRun() {
	// In mystore_test.go:
	testConformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) userstore.Store {
			s := memstore.New() // mystore.Open(...) for another store
			t.Cleanup(func() { _ = s.Close() })
			return s
		})
	}
	_ = testConformance
}
