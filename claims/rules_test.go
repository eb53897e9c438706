package claims_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
)

func sampleContext() claims.RuleContext {
	return claims.RuleContext{
		UserStoreLogin: true, Host: "id.example.com", LoginName: "alice", TenantID: "acme", IdPInstanceID: "main",
		ClientAppID: "crm",
		User: claims.RuleUser{ID: "u1", Username: "alice", Email: "Alice@Example.com", Roles: []string{"admin", "user"},
			Attributes: map[string]string{"department": "R&D"}},
		Claims: map[string]any{"email": "alice@example.com", "amr": []any{"pwd"}, "legacy": "x"},
	}
}

func TestRulesRefusedWhenSaved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule claims.Rule
		want string
	}{
		{"unknown action", claims.Rule{Action: "upsert", Claim: "x", Value: "1"}, `action "upsert"`},
		{"empty claim", claims.Rule{Action: claims.ActionCreate, Value: "1"}, "claim type"},
		{"protected claim", claims.Rule{Action: claims.ActionReplace, Claim: "sub", Value: "root"}, `"sub" belongs to the token`},
		{"does not parse", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: "{{.Host"}, "template:"},
		{"unknown field", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: "{{.Hostname}}"}, "no field .Hostname"},
		{"unknown field in a branch a zero context skips", claims.Rule{Action: claims.ActionCreate, Claim: "x",
			Value: "{{if .UserStoreLogin}}{{.User.Emial}}{{end}}"}, "no field .User.Emial"},
		{"unknown function", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: "{{exec .Host}}"}, `function "exec" not defined`},
		{"missing map key", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: "{{.Claims.email}}"}, "map has no entry"},
		{"field of a string", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: "{{.Host.Name}}"}, "no field .Host.Name"},
		{"defines templates", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: `{{define "a"}}{{template "a"}}{{end}}{{template "a"}}`}, "defines other templates"},
		{"bad link base", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: `{{.ChangePasswordLink "ftp://x"}}`}, "BaseURL"},
		{"too long", claims.Rule{Action: claims.ActionCreate, Claim: "x", Value: strings.Repeat("a", claims.MaxRuleTemplate+1)}, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := claims.CheckRule(tc.rule)
			require.Error(t, err)
			assert.ErrorIs(t, err, claims.ErrRuleInvalid)
			assert.Contains(t, err.Error(), tc.want)
			var re *claims.RuleError
			assert.ErrorAs(t, err, &re)
		})
	}
	_, err := claims.NewRuleSet(claims.RulesConfig{},
		claims.Rule{Name: "ok", Action: claims.ActionCreate, Claim: "a", Value: "{{.Host}}"},
		claims.Rule{Name: "first bad", Action: "x", Claim: "b"},
		claims.Rule{Action: claims.ActionCreate, Claim: "c", Value: "{{.Nope}}"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rule first bad")
	assert.Contains(t, err.Error(), "rule #3")
}

func TestRulesApply(t *testing.T) {
	t.Parallel()
	rs, err := claims.NewRuleSet(claims.RulesConfig{},
		claims.Rule{Action: claims.ActionCreate, Claim: "email", Value: "{{lower .User.Email}}"},        // there: kept
		claims.Rule{Action: claims.ActionCreate, Claim: "login", Value: "{{.LoginName}}@{{.TenantID}}"}, // absent: created
		claims.Rule{Action: claims.ActionReplace, Claim: "roles", Value: `{{join .User.Roles " "}}`},
		claims.Rule{Action: claims.ActionReplace, Claim: "dept", Value: `{{.Attribute "department"}}`},
		claims.Rule{Action: claims.ActionCreate, Claim: "seen", Value: `{{.Claim "login"}}`}, // sees the rule before it
		claims.Rule{Action: claims.ActionRemove, Claim: "legacy"},
		claims.Rule{Action: claims.ActionRemove, Claim: "amr", Value: `{{eq .Host "other.example.com"}}`},
		claims.Rule{Action: claims.ActionCreate, Claim: "never", Value: `{{if not .UserStoreLogin}}x{{end}}`},
	)
	require.NoError(t, err)
	assert.Equal(t, 8, rs.Len())
	rc := sampleContext()
	got, err := rs.Apply(context.Background(), rc)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"email": "alice@example.com", "login": "alice@acme", "roles": "admin user", "dept": "R&D",
		"seen": "alice@acme", "amr": []any{"pwd"},
	}, got)
	assert.Contains(t, rc.Claims, "legacy", "the input is not changed")
}

func TestRulesBounds(t *testing.T) {
	t.Parallel()
	rs, err := claims.NewRuleSet(claims.RulesConfig{MaxOutput: 64},
		claims.Rule{Name: "big", Action: claims.ActionReplace, Claim: "x", Value: `{{range .User.Roles}}{{$.Claims}}{{$.Claims}}{{end}}`})
	require.NoError(t, err)
	_, err = rs.Apply(context.Background(), sampleContext())
	assert.ErrorIs(t, err, claims.ErrRuleLimit)
	assert.Contains(t, err.Error(), "rule big")

	// A long loop that writes is stopped at the deadline.
	rs, err = claims.NewRuleSet(claims.RulesConfig{Timeout: 20 * time.Millisecond, MaxOutput: 1 << 30},
		claims.Rule{Name: "slow", Action: claims.ActionReplace, Claim: "x", Value: `{{range .User.Groups}}{{printf "%064d" 1}}{{end}}`})
	require.NoError(t, err)
	rc := sampleContext()
	rc.User.Groups = make([]string, 1_000_000)
	start := time.Now()
	_, err = rs.Apply(context.Background(), rc)
	assert.ErrorIs(t, err, claims.ErrRuleLimit)
	assert.Less(t, time.Since(start), 2*time.Second)

	// A template that fails at run time.
	rs, err = claims.NewRuleSet(claims.RulesConfig{},
		claims.Rule{Name: "idx", Action: claims.ActionReplace, Claim: "x", Value: `{{if .UserStoreLogin}}{{index .User.Roles 5}}{{end}}`})
	require.NoError(t, err)
	_, err = rs.Apply(context.Background(), sampleContext())
	assert.ErrorIs(t, err, claims.ErrRuleFailed)
}

func TestRulesBoundedByConstruction(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`{{range 100000000}}{{end}}`,
		`{{$n := 100000000}}{{range $n}}{{end}}`,
		`{{range len .User.Roles}}{{end}}`,
		`{{range .User.Roles}}{{range $.User.Roles}}{{end}}{{end}}`,
		`{{printf "%0999999999d" 1}}`,
		`{{printf "%*d" 999999999 1}}`,
		`{{$.Nope}}`,
	} {
		err := claims.CheckRule(claims.Rule{Action: claims.ActionReplace, Claim: "x", Value: src})
		assert.ErrorIs(t, err, claims.ErrRuleInvalid, src)
	}
	for _, src := range []string{
		`{{range .User.Roles}}{{.}}{{end}}`, `{{range $i, $r := $.User.Groups}}{{$i}}{{$r}}{{end}}`,
		`{{range $k, $v := .Claims}}{{$k}}{{end}}`, `{{printf "%-10s|" .Host}}`,
	} {
		assert.NoError(t, claims.CheckRule(claims.Rule{Action: claims.ActionReplace, Claim: "x", Value: src}), src)
	}
}
