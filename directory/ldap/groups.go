package ldap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// What the source learns about groups — the scope's filter (the mandatory
// group's DN, the groups nested in it, their RIDs), the names of primary
// groups, the group graph for transitive groups — it keeps for
// Config.GroupRefresh and then reads again, so that a Lookup or
// Authenticate makes one search, not one per group.

// serverInfo is what the source reads once (per GroupRefresh) about the
// server.
type serverInfo struct {
	// ppolicy: the server offers OpenLDAP ppolicy's control, so
	// pwdAccountLockedTime is defined (LDAP mode).
	ppolicy bool
	// root is the domain's naming context, domainSID its SID and lockout
	// its lockoutDuration (Active Directory mode).
	root      string
	domainSID sid
	lockout   lockout
}

// ppolicyControl is the OID of OpenLDAP ppolicy's request control, which a
// server with the overlay lists in the root DSE's supportedControl.
const ppolicyControl = "1.3.6.1.4.1.42.2.27.8.5.1"

// serverInfo returns the cached serverInfo, reading it when stale.
func (s *Source) serverInfo(ctx context.Context) (serverInfo, error) {
	return s.info.get(s.now(), s.cfg.GroupRefresh, func() (serverInfo, error) {
		var in serverInfo
		var dse *goldap.Entry
		err := s.searchBase(ctx, "", []string{"supportedControl", "defaultNamingContext"}, func(e *goldap.Entry) { dse = e })
		if err != nil && isUnavailable(err) {
			return in, err
		}
		if !s.cfg.ActiveDirectory {
			// A root DSE the service account may not read: ask for the
			// attribute anyway (a server without it ignores it).
			in.ppolicy = dse == nil || slices.Contains(dse.GetAttributeValues("supportedControl"), ppolicyControl)
			return in, nil
		}
		if dse != nil {
			in.root = dse.GetAttributeValue("defaultNamingContext")
		}
		if in.root == "" {
			in.root = domainOf(s.cfg.BaseDN)
		}
		err = s.searchBase(ctx, in.root, []string{attrObjectSid, attrLockoutDur}, func(e *goldap.Entry) {
			if b := e.GetRawAttributeValue(attrObjectSid); validSID(b) {
				in.domainSID = sid(b)
			}
			in.lockout = parseLockoutDuration(e.GetAttributeValue(attrLockoutDur))
		})
		if err != nil {
			if isUnavailable(err) {
				return in, err
			}
			s.log.WarnContext(ctx, "ldap: cannot read the domain's SID and lockout duration; primary groups are not resolved and every lockoutTime counts as locked",
				"source", s.cfg.Name, "err", err)
		}
		return in, nil
	})
}

// domainOf returns the DC= components at the end of dn
// (DC=example,DC=test for OU=People,DC=example,DC=test).
func domainOf(dn string) string {
	d, err := goldap.ParseDN(dn)
	if err != nil {
		return dn
	}
	var parts []string
	for i := len(d.RDNs) - 1; i >= 0; i-- {
		r := d.RDNs[i]
		if len(r.Attributes) != 1 || !strings.EqualFold(r.Attributes[0].Type, "dc") {
			break
		}
		parts = append([]string{"DC=" + r.Attributes[0].Value}, parts...)
	}
	return strings.Join(parts, ",")
}

// scopeFilter returns the filter that narrows users to the scope: the
// user filter and, for GroupDN and MandatoryGroup, membership (nested) of
// each. It is kept for Config.GroupRefresh.
func (s *Source) scopeFilter(ctx context.Context) (string, error) {
	if s.cfg.GroupDN == "" && s.cfg.MandatoryGroup == "" {
		return s.cfg.UserFilter, nil
	}
	return s.scope.get(s.now(), s.cfg.GroupRefresh, func() (string, error) {
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
	})
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
// included.
//
// Active Directory resolves the nesting itself (LDAP_MATCHING_RULE_IN_CHAIN),
// but not membership through a user's primary group (primaryGroupID, a RID
// in the domain: Domain Users is 513), which memberOf and member never
// show. So the RIDs of dn and of every group nested in it are matched
// against primaryGroupID too.
//
// Elsewhere the groups inside dn are found first (by their memberOf, which
// OpenLDAP's memberof overlay keeps on groups as on users), and a user
// must be a direct member (memberOf) of one of them.
func (s *Source) memberFilter(ctx context.Context, dn string) (string, error) {
	if s.cfg.ActiveDirectory {
		rids, err := s.groupRIDs(ctx, dn)
		if err != nil {
			return "", err
		}
		return adMemberFilter(dn, rids), nil
	}
	all, err := s.nestedGroups(ctx, dn)
	if err != nil {
		return "", err
	}
	return equalDNs(attrMemberOf, all), nil
}

// adMemberFilter matches the members of dn at any depth, and the users
// whose primary group is one of rids.
func adMemberFilter(dn string, rids []uint32) string {
	f := "(" + attrMemberOf + ":" + matchingRuleInChain + ":=" + goldap.EscapeFilter(dn) + ")"
	if len(rids) == 0 {
		return f
	}
	var b strings.Builder
	b.WriteString("(|" + f)
	for _, r := range rids {
		b.WriteString("(" + attrPrimaryGroupID + "=" + strconv.FormatUint(uint64(r), 10) + ")")
	}
	b.WriteString(")")
	return b.String()
}

// groupRIDs returns the RIDs, in the source's domain, of the group dn and
// of the groups nested in it at any depth.
func (s *Source) groupRIDs(ctx context.Context, dn string) ([]uint32, error) {
	info, err := s.serverInfo(ctx)
	if err != nil {
		return nil, err
	}
	if info.domainSID == nil {
		return nil, nil
	}
	var rids []uint32
	add := func(e *goldap.Entry) {
		dom, rid, ok := sid(e.GetRawAttributeValue(attrObjectSid)).split()
		if ok && bytes.Equal(dom, info.domainSID) && !slices.Contains(rids, rid) {
			rids = append(rids, rid)
		}
	}
	if err := s.searchBase(ctx, dn, []string{attrObjectSid}, add); err != nil {
		return nil, err
	}
	// Nested groups may live anywhere in the domain (Domain Users is in
	// CN=Users), so the whole domain is searched, not GroupBaseDN.
	err = s.search(ctx, query{op: "groups nested in " + dn, base: info.root,
		filter: and("(objectClass=group)", "("+attrMemberOf+":"+matchingRuleInChain+":="+goldap.EscapeFilter(dn)+")"),
		attrs:  []string{attrObjectSid}},
		func(e *goldap.Entry) bool { add(e); return true })
	if err != nil {
		return nil, err
	}
	return rids, nil
}

// nestedGroups returns dn and every group inside it at any depth. Its
// searches are not paged: they run on pooled connections.
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

// groupRef is a group as the source names it.
type groupRef struct{ dn, name string }

// primaryGroups resolves primary group RIDs to groups, each RID once per
// Config.GroupRefresh. Safe for concurrent use.
type primaryGroups struct {
	mu sync.Mutex
	at time.Time
	m  map[uint32]groupRef
}

// primaryGroup returns the group whose RID in the domain is rid; a zero
// groupRef when there is none.
func (s *Source) primaryGroup(ctx context.Context, info serverInfo, rid uint32) (groupRef, error) {
	p := &s.primary
	now := s.now()
	p.mu.Lock()
	if p.m == nil || now.Sub(p.at) >= s.cfg.GroupRefresh || now.Before(p.at) {
		p.m, p.at = map[uint32]groupRef{}, now
	}
	g, ok := p.m[rid]
	p.mu.Unlock()
	if ok || info.domainSID == nil {
		return g, nil
	}
	err := s.search(ctx, query{op: "primary group " + strconv.FormatUint(uint64(rid), 10), base: info.root,
		filter: "(" + attrObjectSid + "=" + hexFilterValue(info.domainSID.withRID(rid)) + ")", attrs: []string{"cn"}, sizeLimit: 1},
		func(e *goldap.Entry) bool {
			g = groupRef{dn: e.DN, name: e.GetEqualFoldAttributeValue("cn")}
			if g.name == "" {
				g.name = rdnValue(e.DN)
			}
			return true
		})
	if err != nil {
		return groupRef{}, err
	}
	p.mu.Lock()
	p.m[rid] = g
	p.mu.Unlock()
	return g, nil
}

// hexFilterValue escapes every byte of a binary value for a filter.
func hexFilterValue(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for _, c := range b {
		out = append(out, '\\', hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// groupGraph is every group under GroupBaseDN that GroupFilter selects,
// with its name and the groups it is a direct member of (its memberOf),
// for transitive groups. Keys are lower-case DNs.
type groupGraph struct {
	names   map[string]string
	parents map[string][]string
}

// graph returns the cached group graph, reading it when stale.
func (s *Source) graph(ctx context.Context) (*groupGraph, error) {
	return s.groups.get(s.now(), s.cfg.GroupRefresh, func() (*groupGraph, error) {
		g := &groupGraph{names: map[string]string{}, parents: map[string][]string{}}
		err := s.search(ctx, query{op: "group graph", base: s.cfg.GroupBaseDN, filter: s.cfg.GroupFilter,
			attrs: []string{"cn", attrMemberOf}, paged: true}, func(e *goldap.Entry) bool {
			k := strings.ToLower(e.DN)
			name := e.GetEqualFoldAttributeValue("cn")
			if name == "" {
				name = rdnValue(e.DN)
			}
			g.names[k] = name
			g.parents[k] = e.GetEqualFoldAttributeValues(attrMemberOf)
			return true
		})
		if err != nil {
			return nil, err
		}
		return g, nil
	})
}

// name returns the name of the group dn: its cn when the
// graph holds it, else its first RDN's value.
func (g *groupGraph) name(dn string) string {
	if g != nil {
		if n, ok := g.names[strings.ToLower(dn)]; ok {
			return n
		}
	}
	return rdnValue(dn)
}

// closure returns the DNs of the groups that the groups in
// start are members of, at any depth, in breadth-first order, without the
// start groups themselves. Cycles are followed once.
func (g *groupGraph) closure(start []string) []string {
	seen := make(map[string]bool, len(start))
	frontier := make([]string, 0, len(start))
	for _, dn := range start {
		k := strings.ToLower(dn)
		if !seen[k] {
			seen[k] = true
			frontier = append(frontier, k)
		}
	}
	var out []string
	for len(frontier) > 0 {
		var next []string
		for _, k := range frontier {
			for _, p := range g.parents[k] {
				if pk := strings.ToLower(p); !seen[pk] {
					seen[pk] = true
					next = append(next, pk)
					out = append(out, p)
				}
			}
		}
		frontier = next
	}
	return out
}

// isUnavailable reports whether err is an infrastructure fault.
func isUnavailable(err error) bool { return errors.Is(err, directory.ErrUnavailable) }
