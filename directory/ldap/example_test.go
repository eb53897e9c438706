package ldap_test

import (
	"context"
	"fmt"
	"os"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
)

// New reports every problem of a configuration at once.
func ExampleNew_validation() {
	_, err := ldap.New(ldap.Config{URL: "ldaps://dc1.example.test", StartTLS: true})
	fmt.Println(err)
	// Output:
	// ldap: missing required field "baseDN"
	// ldap: startTLS needs an ldap:// url, not ldaps://
}

// An Active Directory source in the manner of Notakey's: named after the
// domain, which is appended to logins typed without one, with a second UPN
// suffix and a mandatory group checked with nested membership.
func ExampleNew_activeDirectory() {
	src, err := ldap.New(ldap.Config{
		Name:            "example.test",
		URL:             "ldaps://dc1.example.test",
		BindDN:          "CN=usher,OU=Service,DC=example,DC=test",
		BindPassword:    "secret",
		BaseDN:          "DC=example,DC=test",
		ActiveDirectory: true,
		UPNSuffixes:     []string{"other.test"},
		MandatoryGroup:  "employees",
		Mapping:         directory.Mapping{PhoneNumber: "mobile"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	cfg := src.Config()
	fmt.Println(src.Name(), cfg.Domain, cfg.UserFilter, cfg.ExternalIDAttribute, cfg.Mapping.PhoneNumber)
	// Users sign in as frank@example.test, frank or EXAMPLE\frank.
	fmt.Println(cfg.NetBIOSDomain, cfg.GroupRefresh)
	// Output:
	// example.test example.test (&(objectCategory=person)(objectClass=user)) objectGUID mobile
	// EXAMPLE 5m0s
}

// Streaming every user of a directory, one page in memory at a time.
func ExampleSource_Users() {
	src, err := ldap.New(ldap.Config{
		URL:          "ldap://ldap.example.test",
		BindDN:       "cn=usher,ou=services,dc=example,dc=test",
		BindPassword: os.Getenv("LDAP_BIND_PASSWORD"),
		BaseDN:       "ou=people,dc=example,dc=test",
		GroupDN:      "cn=staff,ou=groups,dc=example,dc=test", // members only, nested groups included
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for e, err := range src.Users(context.Background()) {
		if err != nil {
			fmt.Println(err) // wraps directory.ErrUnavailable when the server cannot be reached
			return
		}
		fmt.Println(e.Username, e.FullName, e.Groups, e.Enabled)
	}
}
