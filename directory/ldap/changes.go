package ldap

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// generalizedTime is the layout of OpenLDAP's modifyTimestamp and of the
// cursor of Changes on a server without entryCSN.
const generalizedTime = "20060102150405Z"

// Changes streams the users in scope added or modified since cursor (see
// [directory.ChangeSource]). The entries carry the cursor they were asked
// for, since the server returns them in no particular order; the last
// element, yielded only once every entry was, carries the cursor for next
// time.
//
// Outside Active Directory mode, on a server that keeps OpenLDAP's
// entryCSN (the source looks at the entry at BaseDN, once per
// GroupRefresh), the cursor is an entryCSN: a change's time to the
// microsecond, a counter, the ID of the server that made it and a
// modification number, unique for each change and ordered as the server
// orders them (csnOrderingMatch). The entries whose entryCSN is above the
// cursor (or at it and above) are returned. The next cursor is right after
// the highest entryCSN seen when that is older than Config.ChangeMargin
// before the stream's start, by the source's clock: then every change up
// to it was visible when the stream began, and nothing comes again (when
// the stream saw a thousand entries or more of that CSN's second, as after
// a bulk load, and the whole second is older than the margin, the next
// cursor is the start of the next second instead, so that slapd need not
// look at each of them again: its modifyTimestamp index counts in
// seconds). Else the next cursor is that bound, and the changes stamped
// after it come again next time. So the first stream after a bulk load (slapadd, or
// anything older than the margin) gives back only later changes, and none
// is missed that became visible only after the stream began: one made
// while the stream paged past its entry (a paged search is no snapshot),
// or one stamped before, but committed after, a change the stream saw
// (slapd stamps a write before it takes the database's write lock). What
// this relies on: the server stamps each entry's modifyTimestamp with the
// second of its entryCSN (slapd does, and replication copies both; the
// filter asks for modifyTimestamp too, which is usually indexed); and no
// change becomes visible more than ChangeMargin after the server stamped
// it, this machine's clock being no more than the rest of the margin ahead
// of the server's (a clock behind it only gives more again). On a replica,
// a change replicated from another provider keeps that provider's stamp,
// by that provider's clock: replication lag and the providers' clock
// differences count against the margin too. Read from one server.
//
// On a server without entryCSN the cursor is a modifyTimestamp in
// generalized time (20261123101337Z), and the entries modified at or
// after it are returned; the next cursor is the latest modifyTimestamp
// seen. As the server counts in whole seconds, the entries of the
// cursor's second come again next time. Either kind of cursor is accepted
// by either server (a stored modifyTimestamp cursor from earlier versions
// of this package too): an entryCSN cursor counts from its second on a
// server without entryCSN, a modifyTimestamp one from the start of its
// second on a server with it. Delivery is at least once. Cursors are
// short (at most 45 bytes) and opaque: store them as they are.
//
// In Active Directory mode the cursor is a uSNChanged number, and the
// entries whose uSNChanged is above it are returned; the next cursor is the
// server's highestCommittedUSN read before the search (so the entries
// changed while the stream ran come again: a paged search is no snapshot),
// or the highest uSNChanged seen when the root DSE cannot be read. Read
// from one domain controller: USNs are per DC.
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
		changeAttrs := []string{attrUSNChanged}
		var track func(raw map[string][]string)
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
			// The USN committed before the search is the next cursor:
			// a change made while the stream ran may be behind the page
			// it read (a paged search is no snapshot), so the entries
			// changed since come again. Without it, the highest seen.
			committed, usnErr := s.highestCommittedUSN(ctx)
			if usnErr != nil {
				s.log.DebugContext(ctx, "ldap: reading highestCommittedUSN", "source", s.cfg.Name, "err", usnErr)
			}
			high := since
			track = func(raw map[string][]string) {
				if v, err := strconv.ParseUint(first(raw, attrUSNChanged), 10, 64); err == nil {
					high = max(high, v)
				}
			}
			next = func() string {
				if usnErr == nil {
					return strconv.FormatUint(max(since, committed), 10)
				}
				return strconv.FormatUint(high, 10)
			}
		} else {
			var err error
			if extra, changeAttrs, track, next, err = s.plainChanges(ctx, cursor); err != nil {
				yield(directory.Change{}, err)
				return
			}
		}
		if extra != "" {
			// Group membership lives on the groups: the memberof overlay
			// (and Active Directory's memberOf back-link) leave a user's
			// modifyTimestamp and uSNChanged alone when a group gains
			// the user. So the direct members of groups changed since
			// the cursor count as changed too.
			// Their entryCSN moves the cursor too, when it is one.
			var changed []string
			groupAttrs := []string{"1.1"}
			if slices.Contains(changeAttrs, attrEntryCSN) {
				groupAttrs = []string{attrEntryCSN}
			}
			err := s.search(ctx, query{op: "Changes (groups)", base: s.cfg.GroupBaseDN, filter: and(s.cfg.GroupFilter, extra),
				attrs: groupAttrs, paged: true}, func(e *goldap.Entry) bool {
				changed = append(changed, e.DN)
				if v := e.GetEqualFoldAttributeValue(attrEntryCSN); v != "" {
					track(map[string][]string{attrEntryCSN: {v}})
				}
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
		for e, err := range s.users(ctx, "Changes", extra, changeAttrs...) {
			if err != nil {
				yield(directory.Change{}, err)
				return
			}
			track(e.Raw)
			if !yield(directory.Change{Entry: &e, Cursor: cursor}, nil) {
				return
			}
		}
		yield(directory.Change{Cursor: next()}, nil)
	}
}

// plainChanges returns, for Changes outside Active Directory mode from
// cursor, the filter of what changed since it, the attributes the cursor
// follows, and the functions that follow them in each entry read and give
// the next cursor.
func (s *Source) plainChanges(ctx context.Context, cursor string) (extra string, attrs []string, track func(map[string][]string), next func() string, err error) {
	var from *position
	if cursor != "" {
		p, err := parseCursor(cursor)
		if err != nil {
			return "", nil, nil, nil, fmt.Errorf("ldap: Changes: cursor %q is not one of this source's", clip(cursor))
		}
		from = &p
	}
	csn, err := s.keepsCSN(ctx)
	if err != nil {
		return "", nil, nil, nil, err
	}
	if !csn {
		// modifyTimestamp: the latest seen, inclusive (a CSN cursor
		// from a server that kept entryCSN counts from its second).
		var latest time.Time
		if from != nil {
			latest, _ = time.Parse(generalizedTime, from.second())
			extra = "(" + attrModifyTimestamp + ">=" + goldap.EscapeFilter(from.second()) + ")"
		}
		track = func(raw map[string][]string) {
			if t, err := time.Parse(generalizedTime, first(raw, attrModifyTimestamp)); err == nil && t.After(latest) {
				latest = t
			}
		}
		next = func() string {
			if latest.IsZero() {
				return cursor
			}
			return latest.UTC().Format(generalizedTime)
		}
		return extra, []string{attrModifyTimestamp}, track, next, nil
	}
	// entryCSN, with modifyTimestamp of the same second or later beside
	// it: slapd takes an entry's modifyTimestamp from its entryCSN, and
	// modifyTimestamp is the one that is usually indexed.
	start := s.now()
	if from != nil {
		cmp := "(" + attrEntryCSN + ">=" + goldap.EscapeFilter(from.csn) + ")"
		if from.after {
			cmp = "(!(" + attrEntryCSN + "<=" + goldap.EscapeFilter(from.csn) + "))"
		}
		extra = "(&(" + attrModifyTimestamp + ">=" + goldap.EscapeFilter(from.second()) + ")" + cmp + ")"
	}
	var high highest
	track = func(raw map[string][]string) { high.see(first(raw, attrEntryCSN)) }
	next = func() string {
		if high.csn == "" {
			return cursor
		}
		p := nextPosition(from, high.csn, high.n, start, s.cfg.ChangeMargin)
		if from != nil && p == *from {
			return cursor
		}
		return p.String()
	}
	return extra, []string{attrEntryCSN}, track, next, nil
}

// keepsCSN reports whether the server keeps OpenLDAP's entryCSN, as the
// entry at BaseDN shows (read once per GroupRefresh).
func (s *Source) keepsCSN(ctx context.Context) (bool, error) {
	return s.csn.get(s.now(), s.cfg.GroupRefresh, func() (bool, error) {
		ok := false
		err := s.searchBase(ctx, s.cfg.BaseDN, []string{attrEntryCSN}, func(e *goldap.Entry) {
			ok = validCSN(e.GetEqualFoldAttributeValue(attrEntryCSN))
		})
		if err != nil {
			if isUnavailable(err) {
				return false, err
			}
			s.log.DebugContext(ctx, "ldap: reading entryCSN of the base DN", "source", s.cfg.Name, "err", err)
		}
		return ok, nil
	})
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > maxCursorLen {
		return s[:maxCursorLen] + "…"
	}
	return s
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
