package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// guidRE matches an object ID.
var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// usable reports whether login can name a user in a Graph path: a
// userPrincipalName (it has an "@") or an object ID.
func usable(login string) bool {
	if guidRE.MatchString(login) {
		return true
	}
	return strings.Contains(login, "@") && !strings.ContainsFunc(login, func(r rune) bool {
		return r <= ' ' || r == '/' || r == '\\' || r == '?' || r == '#' || r == 0x7f
	})
}

// Lookup returns the user whose userPrincipalName or object ID is login.
// Other logins, users outside the group scope and unknown users give an
// error wrapping directory.ErrNotFound.
func (s *Source) Lookup(ctx context.Context, login string) (directory.Entry, error) {
	login = strings.TrimSpace(login)
	if !usable(login) {
		return directory.Entry{}, fmt.Errorf("graph: %w", directory.ErrNotFound)
	}
	return s.fetch(ctx, login)
}

// fetch reads one user by userPrincipalName or id and checks the scope.
func (s *Source) fetch(ctx context.Context, key string) (directory.Entry, error) {
	var obj map[string]json.RawMessage
	link := s.endpoint("/users/"+url.PathEscape(key), url.Values{"$select": {s.sel}})
	if err := s.do(ctx, http.MethodGet, link, nil, &obj); err != nil {
		return directory.Entry{}, err
	}
	e := s.entry(obj)
	if s.cfg.GroupID != "" {
		in, err := s.member(ctx, e.ExternalID)
		if err != nil {
			return directory.Entry{}, err
		}
		if !in {
			return directory.Entry{}, fmt.Errorf("graph: %w", directory.ErrNotFound)
		}
	}
	return e, nil
}

// member reports whether the user id is a transitive member of GroupID.
func (s *Source) member(ctx context.Context, id string) (bool, error) {
	var out struct {
		Value []string `json:"value"`
	}
	link := s.endpoint("/users/"+url.PathEscape(id)+"/checkMemberGroups", nil)
	if err := s.do(ctx, http.MethodPost, link, map[string][]string{"groupIds": {s.cfg.GroupID}}, &out); err != nil {
		return false, err
	}
	return slices.Contains(out.Value, s.cfg.GroupID), nil
}

// Users streams every user in scope, page by page.
func (s *Source) Users(ctx context.Context) iter.Seq2[directory.Entry, error] {
	path := "/users"
	if s.cfg.GroupID != "" {
		path = "/groups/" + url.PathEscape(s.cfg.GroupID) + "/transitiveMembers/microsoft.graph.user"
	}
	first := s.endpoint(path, url.Values{"$select": {s.sel}, "$top": {strconv.Itoa(s.cfg.PageSize)}})
	return func(yield func(directory.Entry, error) bool) {
		for p, err := range s.pages(ctx, first) {
			if err != nil {
				yield(directory.Entry{}, err)
				return
			}
			for _, obj := range p.Value {
				if !isUser(obj) {
					continue
				}
				if !yield(s.entry(obj), nil) {
					return
				}
			}
		}
	}
}
