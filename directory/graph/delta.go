package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// Changes runs one round of the users delta query. An empty cursor starts
// a new round, which lists every user; otherwise cursor is the deltaLink a
// previous round returned, and only users changed since come back. Users
// removed from Azure AD are yielded disabled, with only Source, ExternalID
// and Raw["@removed"] (the reason) set. An updated user whose answer lacks
// some selected properties is read again in full.
//
// With Config.GroupID, users outside the group are left out (removed ones
// are always yielded, since they are no longer members of anything); a
// user who only left the group is found by a full reconciliation.
//
// The entries carry the cursor they were asked for; the last element,
// yielded once every page was read, carries the round's deltaLink (see
// [directory.ChangeSource]).
func (s *Source) Changes(ctx context.Context, cursor string) iter.Seq2[directory.Change, error] {
	return func(yield func(directory.Change, error) bool) {
		fail := func(err error) {
			yield(directory.Change{}, err)
		}
		first := cursor
		if first == "" {
			first = s.endpoint("/users/delta", url.Values{"$select": {s.sel}, "$top": {strconv.Itoa(s.cfg.PageSize)}})
		} else if u, err := s.checkLink(cursor); err != nil || !strings.HasSuffix(u.Path, "/users/delta") {
			fail(fmt.Errorf("graph: Changes: cursor is not a users deltaLink: %w", ErrBadLink))
			return
		}
		var scope map[string]bool // initial round with a group: its member ids
		if cursor == "" && s.cfg.GroupID != "" {
			var err error
			if scope, err = s.memberIDs(ctx); err != nil {
				fail(err)
				return
			}
		}
		for p, err := range s.pages(ctx, first) {
			if err != nil {
				fail(err)
				return
			}
			for _, obj := range p.Value {
				e, keep, err := s.change(ctx, obj, scope)
				if err != nil {
					fail(err)
					return
				}
				if keep && !yield(directory.Change{Entry: &e, Cursor: cursor}, nil) {
					return
				}
			}
			if p.NextLink == "" {
				if p.DeltaLink == "" {
					fail(errors.New("graph: Changes: last page has no @odata.deltaLink"))
					return
				}
				if _, err := s.checkLink(p.DeltaLink); err != nil {
					fail(err)
					return
				}
				yield(directory.Change{Cursor: p.DeltaLink}, nil)
				return
			}
		}
	}
}

// change maps one delta item; keep is false for users outside the scope.
func (s *Source) change(ctx context.Context, obj map[string]json.RawMessage, scope map[string]bool) (directory.Entry, bool, error) {
	var id string
	_ = json.Unmarshal(obj["id"], &id)
	if id == "" {
		return directory.Entry{}, false, errors.New("graph: Changes: delta item without id")
	}
	if removed, ok := obj["@removed"]; ok {
		var r struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(removed, &r)
		return directory.Entry{Source: s.cfg.Name, ExternalID: id, Raw: map[string][]string{"@removed": {r.Reason}}}, true, nil
	}
	if !s.isComplete(obj) {
		full, err := s.fetch(ctx, id) // checks the group scope too
		if errors.Is(err, directory.ErrNotFound) {
			return directory.Entry{}, false, nil
		}
		return full, err == nil, err
	}
	e := s.entry(obj)
	switch {
	case s.cfg.GroupID == "":
		return e, true, nil
	case scope != nil:
		return e, scope[id], nil
	}
	in, err := s.member(ctx, id)
	return e, in, err
}

// memberIDs reads the ids of the group's transitive user members.
func (s *Source) memberIDs(ctx context.Context) (map[string]bool, error) {
	first := s.endpoint("/groups/"+url.PathEscape(s.cfg.GroupID)+"/transitiveMembers/microsoft.graph.user",
		url.Values{"$select": {"id"}, "$top": {strconv.Itoa(s.cfg.PageSize)}})
	ids := map[string]bool{}
	for p, err := range s.pages(ctx, first) {
		if err != nil {
			return nil, err
		}
		for _, obj := range p.Value {
			var id string
			_ = json.Unmarshal(obj["id"], &id)
			ids[id] = true
		}
	}
	return ids, nil
}
