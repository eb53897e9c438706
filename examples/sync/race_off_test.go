//go:build !race

package main

// crashUsers is the crash test's user count ("a few thousand").
const crashUsers = 3000
