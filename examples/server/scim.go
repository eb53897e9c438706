package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/usher-sdk/usher/userstore/scim"
)

// scimTokens lets the server's access tokens with scope scim use the SCIM
// endpoint, so that an identity provider (Entra ID, Okta) provisions with
// a token an admin made, can see and revoke on the admin page.
type scimTokens struct{ db *serverDB }

// VerifySCIMToken accepts a live token with scope scim.
func (s scimTokens) VerifySCIMToken(ctx context.Context, token string) (bool, error) {
	t, err := s.db.token(ctx, token)
	if errors.Is(err, errNoRow) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.has(scopeSCIM), nil
}

// openSCIM makes the SCIM 2.0 endpoint over the users' pool, mounted at
// /scim/v2 (users and groups it creates have the source "scim").
func (a *app) openSCIM() (http.Handler, error) {
	h, err := scim.NewHandler(a.withSyslog(a.users, "users"), scim.Config{BaseURL: a.baseURL() + "/scim/v2"},
		scim.WithTokenVerifier(scimTokens{a.server}), scim.WithLogger(a.logger))
	if err != nil {
		return nil, err
	}
	return http.StripPrefix("/scim/v2", h), nil
}

var _ scim.TokenVerifier = scimTokens{}
