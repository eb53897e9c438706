package testenv

import (
	"os"
	"testing"
)

// LDAPServer is the private OpenLDAP that `make test` starts.
type LDAPServer struct {
	URL          string // ldap://127.0.0.1:PORT
	BaseDN       string // the suffix, dc=usher,dc=test
	BindDN       string // the administrator, who may read and write everything
	BindPassword string
}

// LDAP returns the private OpenLDAP, or skips (fails in CI) when it is not
// running. The test directory it holds is described in internal/testenv/ldapseed.
func LDAP(tb testing.TB) LDAPServer {
	tb.Helper()
	return LDAPServer{
		URL:          Need(tb, EnvLDAPURL, "the private OpenLDAP server"),
		BaseDN:       orDefault(os.Getenv(EnvLDAPBaseDN), "dc=usher,dc=test"),
		BindDN:       orDefault(os.Getenv(EnvLDAPBindDN), "cn=admin,dc=usher,dc=test"),
		BindPassword: os.Getenv(EnvLDAPBindPassword),
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
