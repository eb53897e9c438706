package claims_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usher-sdk/usher/claims"
)

// FuzzRuleTemplate: any template text is either refused when saved or
// runs within its bounds against a real context, never panics, and a
// saved rule never fails as invalid at sign-in.
func FuzzRuleTemplate(f *testing.F) {
	for _, s := range []string{
		`{{if .UserStoreLogin}}{{.ChangePasswordLink "https://id.example.com/password"}}{{end}}`,
		`{{lower .User.Email}}`, `{{join .User.Roles ","}}`, `{{.Claim "email"}}`, `{{.Attribute "department"}}`,
		`{{range .User.Roles}}{{.}}{{end}}`, `{{with .User}}{{.Username}}{{end}}`, `{{$x := .Host}}{{$x}}`,
		`{{index .Claims "amr"}}`, `{{printf "%v" .Claims}}`, `{{.Claims.email}}`, `{{template "x"}}`,
		`{{range 100000000}}{{end}}`, `{{.User.Emial}}`, `{{len .User.Roles}}`, `{{eq .Host "a"}}`,
	} {
		f.Add(s)
	}
	rc := sampleContext()
	f.Fuzz(func(t *testing.T, src string) {
		rule := claims.Rule{Action: claims.ActionReplace, Claim: "x", Value: src}
		rs, err := claims.NewRuleSet(claims.RulesConfig{Timeout: 50 * time.Millisecond, MaxOutput: 1024}, rule)
		if err != nil {
			if !errors.Is(err, claims.ErrRuleInvalid) {
				t.Fatalf("refused without ErrRuleInvalid: %v", err)
			}
			return
		}
		out, err := rs.Apply(context.Background(), rc)
		if err != nil {
			if errors.Is(err, claims.ErrRuleInvalid) || !(errors.Is(err, claims.ErrRuleFailed) || errors.Is(err, claims.ErrRuleLimit)) {
				t.Fatalf("unexpected kind: %v", err)
			}
			return
		}
		if v, ok := out["x"].(string); ok && len(v) > 1024 {
			t.Fatalf("output of %d bytes over the bound", len(v))
		}
	})
}
