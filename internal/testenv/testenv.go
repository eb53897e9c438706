// Package testenv gives tests the real servers that `make test` starts:
// a private OpenLDAP (slapd) and a private PostgreSQL, each on a loopback
// port in a temporary folder, announced through environment variables.
//
// When a server is missing, a test that needs it is skipped with a message
// that says how to get it, except when CI=true, where it fails: CI must run
// every test.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// Environment variables that `make test` exports.
const (
	EnvLDAPURL          = "USHER_TEST_LDAP_URL"           // ldap://127.0.0.1:PORT
	EnvLDAPBaseDN       = "USHER_TEST_LDAP_BASE_DN"       // dc=usher,dc=test
	EnvLDAPBindDN       = "USHER_TEST_LDAP_BIND_DN"       // cn=admin,dc=usher,dc=test
	EnvLDAPBindPassword = "USHER_TEST_LDAP_BIND_PASSWORD" // the admin's password
	EnvPostgresDSN      = "USHER_TEST_POSTGRES_DSN"       // postgres://usher@127.0.0.1:PORT/usher?sslmode=disable
	EnvSambaURL         = "USHER_TEST_SAMBA_URL"          // ldap://127.0.0.1:389 of the private Samba AD DC
)

// InCI reports whether the tests run in CI (CI=true), where a missing server
// is a failure rather than a reason to skip.
func InCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// Need returns the value of the environment variable env. When it is empty
// the test is skipped with a message naming what and how to get it, or,
// in CI, fails.
func Need(tb testing.TB, env, what string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	msg := what + " is not available: " + env + " is not set; run `make test`, which starts a private one"
	if InCI() {
		tb.Fatal(msg + " (CI=true: missing servers fail the run)")
	}
	tb.Skip(msg)
	return ""
}
