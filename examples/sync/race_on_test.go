//go:build race

package main

// crashUsers is the crash test's user count. The race detector slows the
// test's own reads of the stores (modernc.org/sqlite is Go) many times
// over, while the agent it kills is built without it.
const crashUsers = 500
