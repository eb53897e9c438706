package testenv

import (
	"os"
	"testing"
)

// Environment variables that scripts/samba-ad.sh (`make test-ad`) exports
// besides EnvSambaURL.
const (
	EnvSambaBaseDN       = "USHER_TEST_SAMBA_BASE_DN"       // DC=example,DC=test
	EnvSambaBindDN       = "USHER_TEST_SAMBA_BIND_DN"       // CN=Administrator,CN=Users,DC=example,DC=test
	EnvSambaBindPassword = "USHER_TEST_SAMBA_BIND_PASSWORD" // the domain administrator's password
	EnvSambaDomain       = "USHER_TEST_SAMBA_DOMAIN"        // example.test, the AD DNS domain
	EnvSambaUserPassword = "USHER_TEST_SAMBA_USER_PASSWORD" // every seeded user's password
	EnvSambaCAFile       = "USHER_TEST_SAMBA_CA_FILE"       // PEM CA of the DC's certificate
)

// SambaDC is the private Samba Active Directory domain controller that
// `make test-ad` starts on 127.0.0.1 (realm EXAMPLE.TEST, NetBIOS domain
// EXAMPLE). It accepts simple binds on plain LDAP; its certificate, for
// ldaps:// and StartTLS, names usherdc.example.test and 127.0.0.1.
//
// Its test directory (scripts/samba-ad.sh seeds it) lives under
// OU=Usher,BaseDN: users in OU=People — alice (userPrincipalName
// alice@other.test, mobile, in staff), bob (direct member of employees),
// carol (not in employees), dave (disabled, in employees), zoe (non-ASCII
// name, in staff), frank (for tests that modify an entry, in employees),
// hank (userPrincipalName henry@example.test, in employees), eve
// (accountExpires in 2020, in employees), larry (locked out: lockoutTime
// in 2076, in employees), paula (primary group contractors, listed in no
// group's member but Domain Users') — and groups in OU=Groups: employees ⊃
// staff, contractors; outsiders ⊃ carol. Everyone else's primary group is
// Domain Users (RID 513). The partitions container lists other.test as an
// extra UPN suffix; the domain has no lockout threshold, so wrong
// passwords lock nobody out.
//
// Each `make test-ad` run starts from a fresh copy of the domain, but tests
// of one run share it: a test that modifies an entry should use frank.
type SambaDC struct {
	URL          string // ldap://127.0.0.1:389
	BaseDN       string // DC=example,DC=test
	BindDN       string // the domain administrator, who may read and write everything
	BindPassword string
	Domain       string // example.test
	UserPassword string // the password of every seeded user
	CAFile       string // PEM file of the CA that issued the DC's certificate
}

// PeopleDN returns the DN of the OU that holds the seeded users.
func (s SambaDC) PeopleDN() string { return "OU=People,OU=Usher," + s.BaseDN }

// GroupsDN returns the DN of the OU that holds the seeded groups.
func (s SambaDC) GroupsDN() string { return "OU=Groups,OU=Usher," + s.BaseDN }

// GroupDN returns the DN of the seeded group named cn (employees, staff,
// outsiders).
func (s SambaDC) GroupDN(cn string) string { return "CN=" + cn + "," + s.GroupsDN() }

// Samba returns the private Samba AD DC, or skips (fails in CI) when it is
// not running. Tests that use it carry the build tag samba, which only
// `make test-ad` sets, so the plain `make test` never compiles them.
func Samba(tb testing.TB) SambaDC {
	tb.Helper()
	url := os.Getenv(EnvSambaURL)
	if url == "" {
		msg := "the private Samba AD domain controller is not available: " + EnvSambaURL +
			" is not set; run `make test-ad`, which starts one (as root on Debian it installs Samba first)"
		if InCI() {
			tb.Fatal(msg + " (CI=true: missing servers fail the run)")
		}
		tb.Skip(msg)
	}
	return SambaDC{
		URL:          url,
		BaseDN:       orDefault(os.Getenv(EnvSambaBaseDN), "DC=example,DC=test"),
		BindDN:       orDefault(os.Getenv(EnvSambaBindDN), "CN=Administrator,CN=Users,DC=example,DC=test"),
		BindPassword: os.Getenv(EnvSambaBindPassword),
		Domain:       orDefault(os.Getenv(EnvSambaDomain), "example.test"),
		UserPassword: os.Getenv(EnvSambaUserPassword),
		CAFile:       os.Getenv(EnvSambaCAFile),
	}
}
