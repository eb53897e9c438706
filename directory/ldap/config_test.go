package ldap_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  ldap.Config
		want []string // every message expected in the joined error
	}{
		{"empty", ldap.Config{}, []string{`ldap: missing required field "url"`, `ldap: missing required field "baseDN"`}},
		{"scheme", ldap.Config{URL: "http://x", BaseDN: "dc=x"}, []string{"scheme must be ldap or ldaps"}},
		{"no host", ldap.Config{URL: "ldap://", BaseDN: "dc=x"}, []string{"no host"}},
		{"ldaps and StartTLS", ldap.Config{URL: "ldaps://x", BaseDN: "dc=x", StartTLS: true}, []string{"startTLS needs an ldap:// url"}},
		{"bind DN without password", ldap.Config{URL: "ldap://x", BaseDN: "dc=x", BindDN: "cn=a,dc=x"}, []string{"bindPassword is empty"}},
		{"bad DNs and filters", ldap.Config{URL: "ldap://x", BaseDN: "not a dn", GroupDN: "cn=a,,", UserFilter: "(uid=", GroupFilter: "x"},
			[]string{`baseDN "not a dn"`, `groupDN "cn=a,,"`, `userFilter "(uid="`, `groupFilter "x"`}},
		{"bad attributes", ldap.Config{URL: "ldap://x", BaseDN: "dc=x", LoginAttributes: []string{"uid", "u id"}, DisabledAttribute: "a=b"},
			[]string{`loginAttributes[1] "u id"`, `disabledAttribute "a=b"`}},
		{"bad UPN suffix", ldap.Config{URL: "ldap://x", BaseDN: "dc=x", ActiveDirectory: true, UPNSuffixes: []string{"ok.test", "@bad"}},
			[]string{`upnSuffixes[1] "@bad"`}},
		{"missing CA file", ldap.Config{URL: "ldaps://x", BaseDN: "dc=x", RootCAFile: "/nonexistent/ca.pem"}, []string{"rootCAFile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ldap.New(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, s)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

func TestNewRefusesCAFileWithoutCertificates(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f, []byte("not a certificate"), 0o600))
	_, err := ldap.New(ldap.Config{URL: "ldaps://x", BaseDN: "dc=x", RootCAFile: f})
	require.ErrorContains(t, err, "holds no PEM certificate")
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, err := ldap.New(ldap.Config{URL: "ldap://ldap.example.test:389", BaseDN: "dc=example,dc=test"})
	require.NoError(t, err)
	c := s.Config()
	assert.Equal(t, "ldap.example.test", s.Name())
	assert.Equal(t, ldap.DefaultUserFilter, c.UserFilter)
	assert.Equal(t, "entryUUID", c.ExternalIDAttribute)
	assert.Equal(t, []string{"uid"}, c.LoginAttributes)
	assert.Equal(t, "cn", c.Mapping.FullName, "plain LDAP defaults fit inetOrgPerson entries")
	assert.Equal(t, "mail", c.Mapping.CorporateEmail)
	assert.Empty(t, c.Mapping.PersonalEmail)
	assert.Equal(t, "telephoneNumber", c.Mapping.PhoneNumber)
	assert.Equal(t, "memberOf", c.Mapping.Groups)
	assert.Equal(t, "employeeType", c.Mapping.Roles)
	assert.Equal(t, ldap.DefaultPageSize, c.PageSize)
	assert.Equal(t, ldap.DefaultTimeout, c.Timeout)
	assert.Equal(t, "dc=example,dc=test", c.GroupBaseDN)

	ad, err := ldap.New(ldap.Config{Name: "example.test", URL: "ldaps://dc1.example.test", BaseDN: "dc=example,dc=test",
		ActiveDirectory: true, Mapping: ldapMapping("mobile")})
	require.NoError(t, err)
	c = ad.Config()
	assert.Equal(t, "example.test", c.Domain, "the domain defaults to the name")
	assert.Equal(t, ldap.DefaultADUserFilter, c.UserFilter)
	assert.Equal(t, "objectGUID", c.ExternalIDAttribute)
	assert.Equal(t, "userPrincipalName", c.Mapping.Username)
	assert.Equal(t, []string{"userPrincipalName"}, c.LoginAttributes)
	assert.Equal(t, "mobile", c.Mapping.PhoneNumber)
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := ldap.New(ldap.Config{UserFilter: "("})
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 3, "url, baseDN and userFilter: %v", err)
}

func ldapMapping(phone string) directory.Mapping { return directory.Mapping{PhoneNumber: phone} }

func TestConfigJSON(t *testing.T) {
	t.Parallel()
	const doc = `{
		"name": "example.test", "url": "ldap://dc1.example.test", "startTLS": true, "rootCAFile": "",
		"bindDN": "CN=usher,DC=example,DC=test", "bindPassword": "pw", "baseDN": "DC=example,DC=test",
		"mandatoryGroup": "employees", "activeDirectory": true, "upnSuffixes": ["other.test"],
		"mapping": {"phoneNumber": "mobile"}, "pageSize": 200, "timeout": 5000000000
	}`
	var cfg ldap.Config
	require.NoError(t, json.Unmarshal([]byte(doc), &cfg))
	s, err := ldap.New(cfg)
	require.NoError(t, err)
	c := s.Config()
	assert.True(t, c.ActiveDirectory)
	assert.True(t, c.StartTLS)
	assert.Equal(t, "employees", c.MandatoryGroup)
	assert.Equal(t, []string{"other.test"}, c.UPNSuffixes)
	assert.Equal(t, "mobile", c.Mapping.PhoneNumber)
	assert.Equal(t, "displayName", c.Mapping.FullName)
	assert.Equal(t, 200, c.PageSize)
	assert.Equal(t, 5*time.Second, c.Timeout)
}
