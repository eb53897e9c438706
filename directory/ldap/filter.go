package ldap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// matchingRuleInChain is Active Directory's LDAP_MATCHING_RULE_IN_CHAIN:
// (memberOf:1.2.840.113556.1.4.1941:=G) matches members of G at any depth.
const matchingRuleInChain = "1.2.840.113556.1.4.1941"

// Filters are built here and only here, and every value from outside — a
// login, a group DN or name, a cursor — goes through goldap.EscapeFilter
// exactly once, where it is put into the filter.

// and joins filters with &; empty ones are left out.
func and(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(&" + strings.Join(parts, "") + ")"
}

// equalAny returns (|(a=v)(b=v)...) for the attributes, v escaped once.
func equalAny(attrs []string, v string) string {
	ev := goldap.EscapeFilter(v)
	var b strings.Builder
	if len(attrs) > 1 {
		b.WriteString("(|")
	}
	for _, a := range attrs {
		b.WriteString("(" + a + "=" + ev + ")")
	}
	if len(attrs) > 1 {
		b.WriteString(")")
	}
	return b.String()
}

// loginFilter selects the user whose login attribute is login.
func (s *Source) loginFilter(login string) string {
	return equalAny(s.cfg.LoginAttributes, login)
}

// normalizeLogin trims login and, in Active Directory mode, appends the
// domain to a login without "@" and checks the suffix of one with it. ok is
// false for a login the source cannot know.
func (s *Source) normalizeLogin(login string) (string, bool) {
	login = strings.TrimSpace(login)
	if login == "" {
		return "", false
	}
	if !s.cfg.ActiveDirectory {
		return login, true
	}
	at := strings.LastIndexByte(login, '@')
	if at < 0 {
		if s.cfg.Domain == "" {
			return login, true
		}
		return login + "@" + s.cfg.Domain, true
	}
	if at == 0 || at == len(login)-1 {
		return "", false
	}
	suffix := login[at+1:]
	allowed := s.suffixes()
	if len(allowed) == 0 || slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, suffix) }) {
		return login, true
	}
	return "", false
}

// suffixes returns the accepted UPN suffixes.
func (s *Source) suffixes() []string {
	var out []string
	if s.cfg.Domain != "" {
		out = append(out, s.cfg.Domain)
	}
	return append(out, s.cfg.UPNSuffixes...)
}

// scopeFilter returns the filter that narrows users to the scope: the
// user filter and, for GroupDN and MandatoryGroup, membership (nested) of
// each.
func (s *Source) scopeFilter(ctx context.Context) (string, error) {
	f := s.cfg.UserFilter
	for _, g := range []string{s.cfg.GroupDN, s.cfg.MandatoryGroup} {
		if g == "" {
			continue
		}
		dn, err := s.groupDN(ctx, g)
		if err != nil {
			return "", err
		}
		m, err := s.memberFilter(ctx, dn)
		if err != nil {
			return "", err
		}
		f = and(f, m)
	}
	return f, nil
}

// groupDN returns g when it is a DN, or else the DN of the group named g
// (its cn).
func (s *Source) groupDN(ctx context.Context, g string) (string, error) {
	if _, err := goldap.ParseDN(g); err == nil && strings.Contains(g, "=") {
		return g, nil
	}
	var dns []string
	err := s.search(ctx, query{op: "finding group " + g, base: s.cfg.GroupBaseDN,
		filter: and(s.cfg.GroupFilter, equalAny([]string{"cn"}, g)), attrs: []string{"1.1"}, sizeLimit: 2},
		func(e *goldap.Entry) bool { dns = append(dns, e.DN); return true })
	if err != nil {
		return "", err
	}
	if len(dns) != 1 {
		return "", fmt.Errorf("ldap: %d groups are named %q under %q; name the group by its DN", len(dns), g, s.cfg.GroupBaseDN)
	}
	return dns[0], nil
}

// memberFilter matches the members of the group dn, nested groups
// included. Active Directory resolves the nesting itself; elsewhere the
// groups inside dn are found first (by their memberOf, which OpenLDAP's
// memberof overlay keeps on groups as on users), and a user must be a
// direct member (memberOf) of one of them.
func (s *Source) memberFilter(ctx context.Context, dn string) (string, error) {
	if s.cfg.ActiveDirectory {
		return "(" + attrMemberOf + ":" + matchingRuleInChain + ":=" + goldap.EscapeFilter(dn) + ")", nil
	}
	all, err := s.nestedGroups(ctx, dn)
	if err != nil {
		return "", err
	}
	return equalDNs(attrMemberOf, all), nil
}

// nestedGroups returns dn and every group inside it at any depth. Its
// searches are not paged: they run on pooled connections, as every Lookup
// and Authenticate of a group-scoped source makes them.
func (s *Source) nestedGroups(ctx context.Context, dn string) ([]string, error) {
	seen := map[string]bool{strings.ToLower(dn): true}
	all := []string{dn}
	frontier := []string{dn}
	for depth := 0; len(frontier) > 0; depth++ {
		if depth > 32 {
			return nil, fmt.Errorf("ldap: groups inside %q nest deeper than 32 levels", dn)
		}
		var next []string
		err := s.search(ctx, query{op: "nested groups of " + dn, base: s.cfg.GroupBaseDN,
			filter: and(s.cfg.GroupFilter, equalDNs(attrMemberOf, frontier)), attrs: []string{"1.1"}},
			func(e *goldap.Entry) bool {
				if k := strings.ToLower(e.DN); !seen[k] {
					seen[k] = true
					next = append(next, e.DN)
				}
				return true
			})
		if err != nil {
			return nil, err
		}
		all = append(all, next...)
		frontier = next
	}
	return all, nil
}

// equalDNs returns (|(attr=dn1)(attr=dn2)...), each DN escaped once.
func equalDNs(attr string, dns []string) string {
	var b strings.Builder
	if len(dns) > 1 {
		b.WriteString("(|")
	}
	for _, dn := range dns {
		b.WriteString("(" + attr + "=" + goldap.EscapeFilter(dn) + ")")
	}
	if len(dns) > 1 {
		b.WriteString(")")
	}
	return b.String()
}
