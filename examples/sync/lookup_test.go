package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/usher-sdk/usher/directory"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))

	r := h.ok("lookup", id("carol@example.test"))
	assert.Contains(t, r.stdout, "corporate e-mail: carol@example.test")
	assert.Contains(t, r.stdout, "full name:        Carol Example")
	assert.Contains(t, r.stdout, "store: not synced yet")

	h.ok("add")
	r = h.ok("lookup", strings.ToUpper(id("carol@example.test")))
	assert.Contains(t, r.stdout, "corporate e-mail: carol@example.test")
	assert.Contains(t, r.stdout, "e-mail:           carol@example.test (verified: false)")

	// A user gone from the source is found in the store.
	writeCSV(t, h.csv, staff(6)[:2])
	r = h.ok("lookup", id("carol@example.test"))
	assert.Contains(t, r.stdout, "no such user (gone from the source)")
	assert.Contains(t, r.stdout, "e-mail:           carol@example.test")

	for _, tc := range []struct{ name, arg, want string }{
		{"unknown", id("nobody@example.test"), "no user of source \"csv\" or of the store has it"},
		{"another organization's", directory.Identifier("other-org", "alice@example.test"), "no user of source"},
		{"not an identifier", "alice@example.test", "is not 64 hex digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run("lookup", tc.arg)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}
