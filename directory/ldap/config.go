package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// Defaults of Config.
const (
	DefaultPageSize       = 1000 // Active Directory's MaxPageSize
	DefaultTimeout        = 30 * time.Second
	DefaultMaxConnections = 4
	// DefaultGroupRefresh is how long a source keeps what it resolved
	// about groups and the server (Config.GroupRefresh).
	DefaultGroupRefresh = 5 * time.Minute
	// DefaultChangeMargin is how far before a Changes stream's start a
	// change may be stamped and still not be visible (Config.ChangeMargin).
	DefaultChangeMargin = 30 * time.Second

	// DefaultUserFilter selects the users of an OpenLDAP-style directory.
	DefaultUserFilter = "(objectClass=inetOrgPerson)"
	// DefaultADUserFilter selects the user accounts of Active Directory
	// (not computers, not contacts).
	DefaultADUserFilter = "(&(objectCategory=person)(objectClass=user))"
	// DefaultGroupFilter selects groups of either kind.
	DefaultGroupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
)

// Config configures an LDAP or Active Directory source. Its zero values
// are the documented defaults; New checks it.
type Config struct {
	// Name identifies the source (directory.Source.Name). Default: Domain
	// in Active Directory mode, else the host of URL.
	Name string `json:"name,omitempty"`

	// URL is ldap://host[:port] or ldaps://host[:port]. Required.
	URL string `json:"url"`
	// StartTLS upgrades an ldap:// connection with the StartTLS extended
	// operation before anything else is sent.
	StartTLS bool `json:"startTLS,omitempty"`
	// RootCAFile is a PEM file of the CA certificates that may sign the
	// server's certificate (ldaps:// and StartTLS). Default: the system's.
	RootCAFile string `json:"rootCAFile,omitempty"`
	// TLSServerName is the name the server's certificate must hold
	// (ldaps:// and StartTLS). Default: the URL's host. Set it when the URL
	// names the server otherwise than its certificate does — an IP address
	// such as 127.0.0.1, or a load balancer in front of several DCs.
	//
	// A Samba DC's self-made certificate has a negative serial number,
	// which Go refuses ("x509: negative serial number"): give the DC a
	// certificate from your CA, or run the process with
	// GODEBUG=x509negativeserial=1 (Go's setting for such certificates).
	TLSServerName string `json:"tlsServerName,omitempty"`
	// InsecureSkipVerify accepts any server certificate. WARNING: anyone on
	// the network path can then read the bind and user passwords. For tests
	// only.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// BindDN and BindPassword are the service account's credentials, used
	// for every search. Default: an anonymous bind.
	BindDN       string `json:"bindDN,omitempty"`
	BindPassword string `json:"bindPassword,omitempty"`

	// BaseDN is the subtree that holds the users (an OU, or the whole
	// domain). Required.
	BaseDN string `json:"baseDN"`
	// GroupDN, when set, narrows the scope to the members of this group,
	// nested groups included. Default: everyone under BaseDN.
	GroupDN string `json:"groupDN,omitempty"`
	// MandatoryGroup is Notakey's mandatory_group: the DN or the name (cn)
	// of a group whose members alone, nested groups included, exist for
	// the source. It narrows the scope as GroupDN does; both may be set.
	// In Active Directory mode membership through a user's primary group
	// counts too (mandatory_group "Domain Users" admits the domain's
	// users). A name is resolved to its DN once per GroupRefresh.
	MandatoryGroup string `json:"mandatoryGroup,omitempty"`
	// GroupRefresh is how long the source keeps what it has resolved about
	// groups and the server before reading it again: the DN of a group
	// given by name, the groups nested in the scope's groups (and their
	// RIDs), primary groups' names, the group graph of TransitiveGroups,
	// the domain's lockout duration and whether the server has ppolicy. A
	// change to these reaches the source within this time. Default
	// DefaultGroupRefresh (5 minutes).
	GroupRefresh time.Duration `json:"groupRefresh,omitempty"`
	// TransitiveGroups makes Entry.Groups (when mapped from memberOf) hold
	// every group the user is in at any depth, not only the direct ones:
	// the source reads the groups under GroupBaseDN that GroupFilter
	// selects, with their memberOf (kept for GroupRefresh), and follows
	// it from the user's groups (and primary group). Groups outside
	// GroupBaseDN are named but not followed. Outside Active Directory
	// this needs the server to keep memberOf on groups too (OpenLDAP's
	// memberof overlay does); without it the groups are the direct ones.
	TransitiveGroups bool `json:"transitiveGroups,omitempty"`
	// UserFilter selects user entries. Default DefaultUserFilter, or
	// DefaultADUserFilter in Active Directory mode.
	UserFilter string `json:"userFilter,omitempty"`
	// LoginAttributes are matched against the login that a user types; a
	// login that matches more than one entry is refused. Default: the
	// Username attribute of the mapping (uid, or userPrincipalName in
	// Active Directory mode, where sAMAccountName is matched besides).
	LoginAttributes []string `json:"loginAttributes,omitempty"`

	// GroupBaseDN is the subtree that holds the groups, for nested scopes
	// and Groups. Default BaseDN.
	GroupBaseDN string `json:"groupBaseDN,omitempty"`
	// GroupFilter selects group entries. Default DefaultGroupFilter.
	GroupFilter string `json:"groupFilter,omitempty"`

	// Mapping names the attribute behind each Entry field; empty fields
	// keep directory.LDAPMapping (fullName displayName, username uid,
	// corporateEmail userPrincipalName, personalEmail mail, phoneNumber
	// telephoneNumber, groups memberOf, roles employeeType), except that
	// username defaults to userPrincipalName in Active Directory mode. A
	// multi-valued attribute gives its first value (so phoneNumber
	// "mobile" is the first mobile number). Groups from memberOf are the
	// groups' names (the first RDN's value); from any other attribute, and
	// roles always, each value is split at commas.
	Mapping directory.Mapping `json:"mapping,omitzero"`
	// ExternalIDAttribute holds the entry's stable ID. Default entryUUID,
	// or objectGUID (formatted as a GUID string) in Active Directory mode.
	ExternalIDAttribute string `json:"externalIDAttribute,omitempty"`
	// DisabledAttribute, when set, names a boolean attribute whose value
	// TRUE marks a disabled account. Active Directory's userAccountControl
	// and OpenLDAP ppolicy's permanent lock (pwdAccountLockedTime
	// 000001010000Z) are always read.
	DisabledAttribute string `json:"disabledAttribute,omitempty"`
	// Attributes are read in addition to the mapped ones, into Entry.Raw.
	Attributes []string `json:"attributes,omitempty"`

	// ActiveDirectory turns on Active Directory mode: a login is a
	// userPrincipalName, an account name (sAMAccountName) or
	// NETBIOS\name; the external ID is objectGUID; userAccountControl's
	// ACCOUNTDISABLE bit, an accountExpires in the past and a lockoutTime
	// within the domain's lockoutDuration disable an entry; nested groups
	// are resolved by the server (LDAP_MATCHING_RULE_IN_CHAIN) and primary
	// groups (primaryGroupID) count; Changes follows uSNChanged.
	ActiveDirectory bool `json:"activeDirectory,omitempty"`
	// Domain is the UPN suffix appended to a login typed without one, and
	// an accepted suffix (Active Directory mode). Default Name.
	Domain string `json:"domain,omitempty"`
	// UPNSuffixes are further accepted UPN suffixes (Notakey's upn_suffix).
	// A login whose suffix is neither Domain nor one of these is unknown.
	// When Domain and UPNSuffixes are both empty, every suffix is accepted.
	UPNSuffixes []string `json:"upnSuffixes,omitempty"`
	// NetBIOSDomain is the domain's NetBIOS (pre-Windows 2000) name, which
	// users type as NETBIOS\name (compared case-insensitively; Active
	// Directory mode). A login naming another domain is unknown. Default:
	// the first label of Domain in upper case (EXAMPLE for example.test);
	// set it when the domain's NetBIOS name differs. When both are empty,
	// any DOMAIN\ prefix is accepted.
	NetBIOSDomain string `json:"netBIOSDomain,omitempty"`

	// PageSize is the page size of paged searches (RFC 2696). Default
	// DefaultPageSize.
	PageSize int `json:"pageSize,omitempty"`
	// Timeout bounds dialing and each request (one page of a search).
	// Default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxConnections caps the pooled service connections open at once
	// (lookups); as many again may be open for user binds, and each
	// running stream (Users, Changes, Groups) has one more of its own.
	// Default DefaultMaxConnections.
	MaxConnections int `json:"maxConnections,omitempty"`
	// ChangeMargin (outside Active Directory mode, on a server that keeps
	// entryCSN) is how long before the start of a Changes stream, by this
	// machine's clock, a change may have been stamped by the server yet
	// not be visible to the stream: the longest a write may take between
	// the server stamping it and committing it, plus how far this
	// machine's clock may run ahead of the server's, plus, when the server
	// is a replica, how late a change may reach it by replication. The
	// next cursor goes back this far before the stream's start (so the
	// changes stamped in that time come again) unless every change seen
	// is older. So a sync that runs more often than the margin reads the
	// entries changed within the last margin again each time, and finds
	// them unchanged: its cost follows what changed in the last margin,
	// not only since the last run. Default DefaultChangeMargin (30
	// seconds).
	ChangeMargin time.Duration `json:"changeMargin,omitempty"`
}

// Option sets a dependency of a Source.
type Option func(*Source)

// WithLogger sets the logger. Default: discard. Passwords are never logged;
// a refused login is logged at Info with its reason.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.log = l
		}
	}
}

// WithClock sets the clock that decides whether an account has expired or
// is still locked out, when cached group data is stale, and when a Changes
// stream starts (see Config.ChangeMargin). Default
// time.Now. Refusal timing always uses the real clock.
func WithClock(now func() time.Time) Option {
	return func(s *Source) {
		if now != nil {
			s.now = now
		}
	}
}

// withDefaults returns cfg with every default applied.
func (cfg Config) withDefaults() Config {
	c := cfg
	def := directory.LDAPMapping()
	if c.ActiveDirectory {
		def = directory.ADMapping()
		if c.Domain == "" {
			c.Domain = c.Name
		}
	}
	c.Mapping = c.Mapping.Merge(def)
	if c.Name == "" {
		c.Name = c.Domain
	}
	if c.Name == "" {
		if u, err := url.Parse(c.URL); err == nil {
			c.Name = u.Hostname()
		}
	}
	pick := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	if c.ActiveDirectory {
		pick(&c.UserFilter, DefaultADUserFilter)
		pick(&c.ExternalIDAttribute, "objectGUID")
	} else {
		pick(&c.UserFilter, DefaultUserFilter)
		pick(&c.ExternalIDAttribute, "entryUUID")
	}
	pick(&c.GroupBaseDN, c.BaseDN)
	pick(&c.GroupFilter, DefaultGroupFilter)
	if len(c.LoginAttributes) == 0 {
		c.LoginAttributes = []string{c.Mapping.Username}
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.GroupRefresh <= 0 {
		c.GroupRefresh = DefaultGroupRefresh
	}
	if c.ChangeMargin <= 0 {
		c.ChangeMargin = DefaultChangeMargin
	}
	if c.ActiveDirectory && c.NetBIOSDomain == "" {
		c.NetBIOSDomain = netBIOSDefault(c.Domain)
	}
	return c
}

// validate reports every problem of a defaulted config at once.
func (c Config) validate() error {
	var errs []error
	missing := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("ldap: missing required field %q", name))
		}
	}
	missing("url", c.URL)
	missing("baseDN", c.BaseDN)
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ldap: url: %w", err))
		case u.Scheme != "ldap" && u.Scheme != "ldaps":
			errs = append(errs, fmt.Errorf("ldap: url %q: the scheme must be ldap or ldaps", c.URL))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("ldap: url %q: no host", c.URL))
		case u.Scheme == "ldaps" && c.StartTLS:
			errs = append(errs, errors.New("ldap: startTLS needs an ldap:// url, not ldaps://"))
		}
	}
	if c.BindDN != "" && c.BindPassword == "" {
		errs = append(errs, errors.New("ldap: bindDN is set but bindPassword is empty (an unauthenticated bind)"))
	}
	for _, f := range []field{{"baseDN", c.BaseDN}, {"groupDN", c.GroupDN}, {"groupBaseDN", c.GroupBaseDN}, {"bindDN", c.BindDN}} {
		name, dn := f.name, f.value
		if dn == "" {
			continue
		}
		if _, err := goldap.ParseDN(dn); err != nil {
			errs = append(errs, fmt.Errorf("ldap: %s %q: %w", name, dn, err))
		}
	}
	for _, fl := range []field{{"userFilter", c.UserFilter}, {"groupFilter", c.GroupFilter}} {
		name, f := fl.name, fl.value
		if _, err := goldap.CompileFilter(f); err != nil {
			errs = append(errs, fmt.Errorf("ldap: %s %q: %w", name, f, err))
		}
	}
	for i, a := range c.LoginAttributes {
		if !validAttr(a) {
			errs = append(errs, fmt.Errorf("ldap: loginAttributes[%d] %q is not an attribute name", i, a))
		}
	}
	for _, f := range []field{{"externalIDAttribute", c.ExternalIDAttribute}, {"disabledAttribute", c.DisabledAttribute}} {
		name, a := f.name, f.value
		if a != "" && !validAttr(a) {
			errs = append(errs, fmt.Errorf("ldap: %s %q is not an attribute name", name, a))
		}
	}
	for i, s := range c.UPNSuffixes {
		if s == "" || strings.ContainsAny(s, "@ ") {
			errs = append(errs, fmt.Errorf("ldap: upnSuffixes[%d] %q is not a domain name", i, s))
		}
	}
	if c.PageSize > 1<<31-1 {
		errs = append(errs, fmt.Errorf("ldap: pageSize %d is too large", c.PageSize))
	}
	return errors.Join(errs...)
}

type field struct{ name, value string }

// validAttr reports whether a is an attribute description: a name or an
// OID, with options.
func validAttr(a string) bool {
	if a == "" {
		return false
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ';') {
			return false
		}
	}
	return true
}

// tlsConfig returns the TLS configuration for ldaps:// and StartTLS.
func (c Config) tlsConfig() (*tls.Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	name := u.Hostname()
	if c.TLSServerName != "" {
		name = c.TLSServerName
	}
	tc := &tls.Config{ServerName: name, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // named InsecureSkipVerify, documented
	if c.RootCAFile != "" {
		pem, err := os.ReadFile(c.RootCAFile)
		if err != nil {
			return nil, fmt.Errorf("ldap: rootCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap: rootCAFile %q holds no PEM certificate", c.RootCAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
