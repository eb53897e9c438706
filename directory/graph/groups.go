package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// MaxGroups bounds the groups TransitiveGroups reads for one user.
const MaxGroups = 10000

// Group is a group a user is a member of.
type Group struct {
	ID          string
	DisplayName string
}

// TransitiveGroups returns the groups the user (object ID or
// userPrincipalName) is a member of, directly or through nested groups,
// in Graph's order, following @odata.nextLink page by page
// (GET /users/{id}/transitiveMemberOf/microsoft.graph.group). It needs
// the GroupMember.Read.All permission. More than MaxGroups groups, or an
// unknown user (an error matching directory.ErrNotFound), is an error.
// It ignores Config.GroupID.
func (s *Source) TransitiveGroups(ctx context.Context, userID string) ([]Group, error) {
	if !usable(userID) {
		return nil, fmt.Errorf("graph: %q is not an object ID or userPrincipalName", userID)
	}
	link := s.endpoint("/users/"+url.PathEscape(userID)+"/transitiveMemberOf/microsoft.graph.group",
		url.Values{"$select": {"id,displayName"}, "$top": {strconv.Itoa(s.cfg.PageSize)}})
	var out []Group
	for p, err := range s.pages(ctx, link) {
		if err != nil {
			return nil, err
		}
		for _, obj := range p.Value {
			var g Group
			_ = json.Unmarshal(obj["id"], &g.ID)
			_ = json.Unmarshal(obj["displayName"], &g.DisplayName)
			if g.ID == "" {
				return nil, fmt.Errorf("graph: transitiveMemberOf: a group without id")
			}
			out = append(out, g)
		}
		if len(out) > MaxGroups {
			return nil, fmt.Errorf("graph: user is in more than %d groups", MaxGroups)
		}
	}
	return out, nil
}
