package claims

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/directory/graph"
)

// MaxGroups bounds the groups of one sign-in, from the token or resolved.
const MaxGroups = 10000

// GroupResolver finds a user's groups when the ID token does not list
// them (Azure AD's group overage). Implementations are safe for
// concurrent use.
type GroupResolver interface {
	// ResolveGroups returns the groups of the user the verified claims
	// are about, transitively, as the names or IDs that Mapping.GroupRoles
	// uses. An error refuses the sign-in.
	ResolveGroups(ctx context.Context, claims map[string]any) ([]string, error)
}

// overage reports whether claims signal that the groups claim was left
// out because the user has too many: Azure AD's _claim_names naming it
// (code flow) or hasgroups (implicit flow).
func overage(claims map[string]any, groupsClaim string) bool {
	if names, ok := claims["_claim_names"].(map[string]any); ok {
		if _, ok := names[groupsClaim]; ok {
			return true
		}
	}
	if has, ok := claims["hasgroups"].(bool); ok && has {
		return true
	}
	return false
}

// resolveGroups returns the user's groups: the groups claim, or the
// resolver's answer on overage. It never returns no groups for an
// overage.
func (c *Client) resolveGroups(ctx context.Context, claims map[string]any) ([]string, error) {
	if raw, ok := claims[c.m.groupsClaim]; ok {
		groups, ok := claimStrings(raw)
		if !ok {
			return nil, refuse(ErrToken, "claim %q is not a list of strings", c.m.groupsClaim)
		}
		if len(groups) > MaxGroups {
			return nil, refuse(ErrToken, "claim %q lists more than %d groups", c.m.groupsClaim, MaxGroups)
		}
		return groups, nil
	}
	if !overage(claims, c.m.groupsClaim) {
		return nil, nil
	}
	if c.groups == nil {
		return nil, refuse(ErrGroups, "the token has a group overage and no GroupResolver is configured")
	}
	groups, err := c.groups.ResolveGroups(ctx, claims)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse(ErrGroups, "%w", err)
	}
	if len(groups) > MaxGroups {
		return nil, refuse(ErrGroups, "more than %d groups", MaxGroups)
	}
	if groups == nil {
		groups = []string{}
	}
	delete(claims, "_claim_names")
	delete(claims, "_claim_sources")
	delete(claims, "hasgroups")
	claims[c.m.groupsClaim] = anyStrings(groups)
	return groups, nil
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// GraphGroups is what AzureGroups needs of a Microsoft Graph client;
// *graph.Source has it.
type GraphGroups interface {
	TransitiveGroups(ctx context.Context, userID string) ([]graph.Group, error)
}

var _ GraphGroups = (*graph.Source)(nil)

// AzureGroups resolves an Azure AD group overage through Microsoft Graph:
// the transitive groups of the user named by the token's oid claim, read
// with src's client credentials, as display names when byName is set and
// as object IDs otherwise. A token of another tenant than tenantID (its
// tid claim) is refused; tenantID empty skips that check.
func AzureGroups(src GraphGroups, tenantID string, byName bool) GroupResolver {
	return azureGroups{src: src, tenant: tenantID, byName: byName}
}

type azureGroups struct {
	src    GraphGroups
	tenant string
	byName bool
}

func (a azureGroups) ResolveGroups(ctx context.Context, claims map[string]any) ([]string, error) {
	oid, _ := claims["oid"].(string)
	if oid == "" || strings.ContainsAny(oid, "/?#% ") {
		return nil, errors.New("claims: the token has no usable oid claim to resolve its groups with")
	}
	if a.tenant != "" {
		if tid, _ := claims["tid"].(string); !strings.EqualFold(tid, a.tenant) {
			return nil, fmt.Errorf("claims: the token is of tenant %q, the Graph client of %q", tid, a.tenant)
		}
	}
	gs, err := a.src.TransitiveGroups(ctx, oid)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		if a.byName {
			if g.DisplayName == "" {
				return nil, fmt.Errorf("claims: group %s has no display name", g.ID)
			}
			out = append(out, g.DisplayName)
		} else {
			out = append(out, g.ID)
		}
	}
	return out, nil
}
