package claims_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/oidctest"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// ProAuth's pwchangeurl rule: a claim holding userstore's change-password
// link, only for users who signed in with a user-store password (a user
// of a federated provider changes their password there).
func ExampleRuleSet_Apply_pwchangeurl() {
	rules, err := claims.NewRuleSet(claims.RulesConfig{}, claims.Rule{
		Name:   "pwchangeurl",
		Action: claims.ActionCreate,
		Claim:  "pwchangeurl",
		Value:  `{{if .UserStoreLogin}}{{.ChangePasswordLink "https://id.example.com/password"}}{{end}}`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, storeLogin := range []bool{true, false} {
		out, err := rules.Apply(context.Background(), claims.RuleContext{
			UserStoreLogin: storeLogin, LoginName: "alice", TenantID: "acme", IdPInstanceID: "main", ClientAppID: "crm",
			Claims: map[string]any{"sub": "u1"},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("user-store login %v: %v\n", storeLogin, out["pwchangeurl"])
	}
	// Output:
	// user-store login true: https://id.example.com/password?client_id=crm&idp=main&login=alice&tenant=acme
	// user-store login false: <nil>
}

// A rule that refers to a field the context lacks is refused when it is
// saved, not at sign-in.
func ExampleCheckRule() {
	err := claims.CheckRule(claims.Rule{Name: "mail", Action: claims.ActionReplace, Claim: "email",
		Value: "{{if .UserStoreLogin}}{{.User.Mail}}{{end}}"})
	fmt.Println(errors.Is(err, claims.ErrRuleInvalid))
	fmt.Println(err)
	// Output:
	// true
	// claims: invalid rule: rule mail: template: the context has no field .User.Mail
}

// A claim mapping that sends two claims to one field is refused, naming
// both.
func ExampleNew_mappingRefused() {
	_, err := claims.New(claims.Config{
		Issuer: "https://login.example.com", ClientID: "usher", RedirectURL: "https://app.example.com/oidc/callback",
		Mapping: claims.Mapping{Claims: map[string]string{
			"email":      claims.FieldEmail,
			"upn":        claims.FieldEmail,
			"employeeId": claims.FieldMasterID,
			"dept":       claims.AttributePrefix + "department",
		}},
	})
	fmt.Println(err)
	// Output:
	// claims: Mapping.Claims: claims "email" and "upn" both map to field "email"
}

// A whole sign-in against an OpenID Provider running in this process,
// without a browser: AuthURL, the provider's redirects, Complete. The
// groups claim maps to roles.
func ExampleClient_Complete() {
	op, err := oidctest.Start("")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer op.Close()
	const callback = "https://app.example.com/oidc/callback"
	op.SetRedirectURIs(callback)
	op.PutUser(oidctest.User{Subject: "248289761001", IDClaims: map[string]any{"groups": []string{"staff", "admins"}},
		Profile: map[string]any{"preferred_username": "jane", "email": "jane@example.com", "given_name": "Jane"}})
	op.SignInAs("248289761001")

	c, err := claims.New(claims.Config{
		Issuer: op.URL(), ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret, RedirectURL: callback,
		Scopes: []string{"openid", "profile", "email"}, UserInfo: true,
		Mapping: claims.Mapping{GroupRoles: map[string][]string{"admins": {"admin"}, "staff": {"user"}}},
	}, claims.WithHTTPClient(op.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	authURL, err := c.AuthURL(ctx, "/home")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The browser's part: follow the provider until it sends us back.
	hc := &http.Client{CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := hc.Get(authURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	q := back.Query()

	id, returnTo, err := c.Complete(ctx, claims.Callback{State: q.Get("state"), Code: q.Get("code")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.User.ExternalID, id.User.Username, id.User.Email, id.User.GivenName, id.Roles, returnTo)

	// The same callback again is refused: a state is used once.
	_, _, err = c.Complete(ctx, claims.Callback{State: q.Get("state"), Code: q.Get("code")})
	fmt.Println(errors.Is(err, claims.ErrState))
	// Output:
	// 248289761001 jane jane@example.com Jane [admin user] /home
	// true
}

// Just-in-time provisioning: the first sign-in creates the user, active
// here because ActiveByDefault is set.
func ExampleProvisioner_Provision() {
	store := memstore.New()
	defer store.Close()
	p, err := claims.NewProvisioner(store, claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := claims.Identity{User: userstore.User{Source: "oidc", ExternalID: "248289761001", Username: "jane",
		Email: "jane@example.com", Roles: []string{"user"}}, Roles: []string{"user"}, RolesMapped: true}
	ctx := context.Background()
	u, created, err := p.Provision(ctx, id)
	fmt.Println(u.Username, u.Enabled, u.Roles, created, err)
	id.Roles = []string{"admin", "user"} // a later sign-in in another group
	id.User.Roles = id.Roles
	u, created, err = p.Provision(ctx, id)
	fmt.Println(u.Username, u.Enabled, u.Roles, created, err)
	// Output:
	// jane true [user] true <nil>
	// jane true [admin user] false <nil>
}

// Mounting the browser sign-in in an application, with the state in the
// shared database (so that any server process can take the callback) and
// the user provisioned at each sign-in. (Not run: it needs a provider.)
func ExampleClient_Handler() {
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:usher.db")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	users := memstore.New() // in production: sqlstore.New(ctx, db), on the same database
	defer users.Close()
	states, err := claims.NewSQLStates(ctx, db, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := claims.New(claims.Config{
		Issuer: "https://login.microsoftonline.com/TENANT/v2.0", ClientID: "CLIENT", ClientSecret: "SECRET",
		RedirectURL: "https://app.example.com/oidc/callback", Scopes: []string{"openid", "profile", "email"},
		Mapping: claims.Mapping{GroupRoles: map[string][]string{"GROUP-OBJECT-ID": {"admin"}}},
	}, claims.WithStateStore(states))
	if err != nil {
		fmt.Println(err)
		return
	}
	prov, err := claims.NewProvisioner(users, claims.ProvisionConfig{SelfRegistration: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/oidc/", http.StripPrefix("/oidc", c.Handler(func(w http.ResponseWriter, r *http.Request, id claims.Identity, returnTo string) {
		u, _, err := prov.Provision(r.Context(), id)
		if err != nil {
			http.Error(w, "sign-in refused", http.StatusForbidden) // ErrInactive, ErrRegistrationClosed, …
			return
		}
		_ = u // start the application's session for u.ID here
		http.Redirect(w, r, returnTo, http.StatusFound)
	})))
	_ = http.ListenAndServe("127.0.0.1:8080", mux)
}
