package ldap

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// generalizedTime is the layout of OpenLDAP's modifyTimestamp and of the
// cursor of Changes outside Active Directory mode.
const generalizedTime = "20060102150405Z"

// Changes streams the users in scope added or modified since cursor (see
// [directory.ChangeSource]). The entries carry the cursor they were asked
// for, since the server returns them in no particular order; the last
// element, yielded only once every entry was, carries the cursor for next
// time.
//
// Outside Active Directory mode the cursor is a modifyTimestamp in
// generalized time (20261123101337Z), and the entries modified at or after
// it are returned; the next cursor is the latest modifyTimestamp seen. As
// the server counts in whole seconds, the entries of the cursor's second
// come again next time: delivery is at least once.
//
// In Active Directory mode the cursor is a uSNChanged number, and the
// entries whose uSNChanged is above it are returned; the next cursor is the
// server's highestCommittedUSN read before the search, or the highest
// uSNChanged seen if that is higher. Read from one domain controller: USNs
// are per DC.
//
// The direct members of groups changed since the cursor are returned too,
// since adding a user to a group changes the group, not the user. A user
// removed from a group is not seen (nothing of the user's changed, and
// the group no longer names the user); nor are deletions, nor an account
// reaching its accountExpires or the end of its lockout (time passes, the
// entry does not change). The full reconciliation of a sync catches them.
//
// An empty cursor returns every user.
func (s *Source) Changes(ctx context.Context, cursor string) iter.Seq2[directory.Change, error] {
	return func(yield func(directory.Change, error) bool) {
		var extra string
		var track func(directory.Entry)
		var next func() string
		if s.cfg.ActiveDirectory {
			var since uint64
			if cursor != "" {
				n, err := strconv.ParseUint(cursor, 10, 64)
				if err != nil {
					yield(directory.Change{}, fmt.Errorf("ldap: Changes: cursor %q is not a uSNChanged number", cursor))
					return
				}
				since = n
				extra = "(" + attrUSNChanged + ">=" + strconv.FormatUint(n+1, 10) + ")"
			}
			high := since
			if h, err := s.highestCommittedUSN(ctx); err == nil {
				high = max(high, h)
			} else {
				s.log.DebugContext(ctx, "ldap: reading highestCommittedUSN", "source", s.cfg.Name, "err", err)
			}
			track = func(e directory.Entry) {
				if v, err := strconv.ParseUint(first(e.Raw, attrUSNChanged), 10, 64); err == nil {
					high = max(high, v)
				}
			}
			next = func() string { return strconv.FormatUint(high, 10) }
		} else {
			var latest time.Time
			if cursor != "" {
				t, err := time.Parse(generalizedTime, cursor)
				if err != nil {
					yield(directory.Change{}, fmt.Errorf("ldap: Changes: cursor %q is not a generalized time like 20261123101337Z", cursor))
					return
				}
				latest = t
				extra = "(" + attrModifyTimestamp + ">=" + goldap.EscapeFilter(t.UTC().Format(generalizedTime)) + ")"
			}
			track = func(e directory.Entry) {
				if t, err := time.Parse(generalizedTime, first(e.Raw, attrModifyTimestamp)); err == nil && t.After(latest) {
					latest = t
				}
			}
			next = func() string {
				if latest.IsZero() {
					return cursor
				}
				return latest.UTC().Format(generalizedTime)
			}
		}
		if extra != "" {
			// Group membership lives on the groups: the memberof overlay
			// (and Active Directory's memberOf back-link) leave a user's
			// modifyTimestamp and uSNChanged alone when a group gains
			// the user. So the direct members of groups changed since
			// the cursor count as changed too.
			var changed []string
			err := s.search(ctx, query{op: "Changes (groups)", base: s.cfg.GroupBaseDN, filter: and(s.cfg.GroupFilter, extra),
				attrs: []string{"1.1"}, paged: true}, func(e *goldap.Entry) bool {
				changed = append(changed, e.DN)
				return true
			})
			if err != nil {
				yield(directory.Change{}, err)
				return
			}
			if len(changed) > 0 {
				extra = "(|" + extra + equalDNs(attrMemberOf, changed) + ")"
			}
		}
		for e, err := range s.users(ctx, "Changes", extra) {
			if err != nil {
				yield(directory.Change{}, err)
				return
			}
			track(e)
			if !yield(directory.Change{Entry: &e, Cursor: cursor}, nil) {
				return
			}
		}
		yield(directory.Change{Cursor: next()}, nil)
	}
}

// first returns the first value of a raw attribute, by any case of name.
func first(raw map[string][]string, name string) string {
	if vs := raw[name]; len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range raw {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// highestCommittedUSN reads the root DSE's highestCommittedUSN.
func (s *Source) highestCommittedUSN(ctx context.Context) (uint64, error) {
	var v string
	err := s.searchBase(ctx, "", []string{"highestCommittedUSN"}, func(e *goldap.Entry) {
		v = e.GetAttributeValue("highestCommittedUSN")
	})
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

// searchBase reads one entry (scope base).
func (s *Source) searchBase(ctx context.Context, dn string, attrs []string, fn func(*goldap.Entry)) error {
	attr := strings.Join(attrs, ",")
	c, _, err := s.conns.get(ctx)
	if err != nil {
		return classify("reading "+attr, err)
	}
	req := goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, int(s.cfg.Timeout.Seconds()), false,
		"(objectClass=*)", attrs, nil)
	res, err := c.Search(req)
	broken := isNetwork(err) || (err != nil && c.IsClosing())
	s.conns.put(c, broken)
	if broken {
		return unavailable("reading "+attr, err)
	}
	if err != nil {
		return classify("reading "+attr, err)
	}
	for _, e := range res.Entries {
		fn(e)
	}
	return nil
}

// Groups streams the names (cn) of the groups under GroupBaseDN that
// GroupFilter selects.
func (s *Source) Groups(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		stopped := false
		err := s.search(ctx, query{op: "Groups", base: s.cfg.GroupBaseDN, filter: s.cfg.GroupFilter, attrs: []string{"cn"}, paged: true},
			func(e *goldap.Entry) bool {
				name := e.GetEqualFoldAttributeValue("cn")
				if name == "" {
					name = rdnValue(e.DN)
				}
				if !yield(name, nil) {
					stopped = true
					return false
				}
				return true
			})
		if err != nil && !stopped {
			yield("", err)
		}
	}
}
