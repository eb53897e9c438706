package ldap

import (
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

// loginFilter returns the filter that selects the user who signs in as
// login; ok is false for a login the source cannot know.
//
// Outside Active Directory mode login is matched, trimmed, against each of
// Config.LoginAttributes. In Active Directory mode it may take three forms:
//
//   - name@suffix: a userPrincipalName (each of LoginAttributes); the
//     suffix must be Domain or one of UPNSuffixes (any suffix when both
//     are empty). With suffix Domain, name may also be the sAMAccountName,
//     as Active Directory itself accepts in a bind.
//   - DOMAIN\name: the sAMAccountName name, when DOMAIN is NetBIOSDomain
//     (compared case-insensitively); any other DOMAIN is unknown.
//   - name: the sAMAccountName, or the userPrincipalName name@Domain.
//
// A login that matches two entries (one's account name, another's UPN) is
// refused as ambiguous by the caller.
func (s *Source) loginFilter(login string) (string, bool) {
	login = strings.TrimSpace(login)
	if login == "" {
		return "", false
	}
	if !s.cfg.ActiveDirectory {
		return equalAny(s.cfg.LoginAttributes, login), true
	}
	sam := []string{attrSAMAccountName}
	if dom, name, ok := strings.Cut(login, `\`); ok {
		if name == "" || strings.ContainsAny(name, `\@`) {
			return "", false
		}
		if nb := s.cfg.NetBIOSDomain; nb != "" && !strings.EqualFold(dom, nb) {
			return "", false
		}
		return equalAny(sam, name), true
	}
	at := strings.LastIndexByte(login, '@')
	if at < 0 {
		upn := login
		if s.cfg.Domain != "" {
			upn = login + "@" + s.cfg.Domain
		}
		return or(equalAny(s.cfg.LoginAttributes, upn), equalAny(sam, login)), true
	}
	if at == 0 || at == len(login)-1 {
		return "", false
	}
	name, suffix := login[:at], login[at+1:]
	allowed := s.suffixes()
	if len(allowed) != 0 && !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, suffix) }) {
		return "", false
	}
	f := equalAny(s.cfg.LoginAttributes, login)
	if s.cfg.Domain != "" && strings.EqualFold(suffix, s.cfg.Domain) && !strings.Contains(name, "@") {
		f = or(f, equalAny(sam, name))
	}
	return f, true
}

// or joins filters with |.
func or(filters ...string) string {
	if len(filters) == 1 {
		return filters[0]
	}
	return "(|" + strings.Join(filters, "") + ")"
}

// suffixes returns the accepted UPN suffixes.
func (s *Source) suffixes() []string {
	var out []string
	if s.cfg.Domain != "" {
		out = append(out, s.cfg.Domain)
	}
	return append(out, s.cfg.UPNSuffixes...)
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
