package claims_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/graph/graphtest"
	"github.com/usher-sdk/usher/internal/oidctest"
)

const (
	aliceOID = "11111111-1111-4111-8111-111111111111"
	groupA   = "aaaaaaaa-0000-4000-8000-000000000001"
	groupB   = "bbbbbbbb-0000-4000-8000-000000000002"
	groupC   = "cccccccc-0000-4000-8000-000000000003"
)

// overageUser is an Azure AD user in too many groups: the ID token names
// a claim source instead of listing them.
func overageUser(tenant string) oidctest.User {
	return oidctest.User{Subject: "alice-sub", IDClaims: map[string]any{
		"oid": aliceOID, "tid": tenant,
		"_claim_names":   map[string]any{"groups": "src1"},
		"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.windows.net/" + tenant + "/users/" + aliceOID + "/getMemberObjects"}},
	}}
}

func fakeGraph(t *testing.T) (*graphtest.Server, *graph.Source) {
	t.Helper()
	g := graphtest.NewServer(graphtest.Config{MaxPageSize: 1})
	t.Cleanup(g.Close)
	g.PutUser(graphtest.User{ID: aliceOID, UserPrincipalName: "alice@corp.example", AccountEnabled: true})
	g.SetGroup(groupA, aliceOID)
	g.SetGroup(groupB, groupA) // alice through nesting
	g.SetGroup(groupC)         // not alice
	g.SetGroupName(groupA, "Staff")
	g.SetGroupName(groupB, "Admins")
	g.SetGroupName(groupC, "Sales")
	cfg := g.Config()
	src, err := graph.New(graph.Config{
		TenantID: cfg.TenantID, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		BaseURL: g.BaseURL(), TokenURL: g.TokenURL(),
	}, graph.WithHTTPClient(g.Client()))
	require.NoError(t, err)
	return g, src
}

func TestOverage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		byName     bool
		groupRoles map[string][]string
		wantGroups []string
		wantRoles  []string
	}{
		{"by ID", false, map[string][]string{groupB: {"admin"}, groupC: {"seller"}}, []string{groupA, groupB}, []string{"admin"}},
		{"by name", true, map[string][]string{"Staff": {"user"}, "Admins": {"admin"}}, []string{"Staff", "Admins"}, []string{"admin", "user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, src := fakeGraph(t)
			p := provider(t)
			p.PutUser(overageUser(g.Config().TenantID))
			cfg := config(p)
			cfg.Mapping.GroupRoles = tc.groupRoles
			c := newClient(t, p, cfg, claims.WithGroupResolver(claims.AzureGroups(src, g.Config().TenantID, tc.byName)))
			id, err := signIn(t, c, p)
			require.NoError(t, err)
			assert.Equal(t, tc.wantGroups, id.Groups)
			assert.Equal(t, tc.wantRoles, id.Roles)
			assert.NotContains(t, id.Claims, "_claim_names")
			// Paged: one group per page.
			n := 0
			for _, r := range g.Requests() {
				if assert.Contains(t, r, "/users/"+aliceOID+"/transitiveMemberOf/microsoft.graph.group") {
					n++
				}
			}
			assert.GreaterOrEqual(t, n, 2)
		})
	}
}

func TestOverageUnresolvable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		setup   func(g *graphtest.Server)
		tenant  string
		noGraph bool
	}{
		{"no resolver", nil, "tenant", true},
		{"graph refuses", func(g *graphtest.Server) {
			g.FailNext(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		}, "tenant", false},
		{"user unknown to graph", func(g *graphtest.Server) { g.DeleteUser(aliceOID) }, "tenant", false},
		{"token of another tenant", nil, "other-tenant", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, src := fakeGraph(t)
			if tc.setup != nil {
				tc.setup(g)
			}
			p := provider(t)
			p.PutUser(overageUser(tc.tenant))
			var opts []claims.Option
			if !tc.noGraph {
				opts = append(opts, claims.WithGroupResolver(claims.AzureGroups(src, "tenant", false)))
			}
			c := newClient(t, p, config(p), opts...)
			id, err := signIn(t, c, p)
			assert.ErrorIs(t, err, claims.ErrGroups)
			assert.ErrorIs(t, err, claims.ErrRefused)
			assert.Zero(t, id.Subject, "nobody is let in without groups")
		})
	}
}
