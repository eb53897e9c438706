package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type tokenKey struct{}

// tokenOf returns the access token that authenticated the request.
func tokenOf(ctx context.Context) accessToken {
	t, _ := ctx.Value(tokenKey{}).(accessToken)
	return t
}

// requireScope wraps an API handler: the request must carry a live access
// token (Authorization: Bearer ush_…) with scope. A missing, malformed,
// unknown, revoked or expired token gets the same 401; a token without
// the scope gets 403.
func (a *app) requireScope(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r)
		var t accessToken
		var err error = errNoRow
		if ok {
			t, err = a.server.token(r.Context(), secret)
		}
		switch {
		case errors.Is(err, errNoRow):
			w.Header().Set("WWW-Authenticate", `Bearer realm="usher"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "a valid access token is required (Authorization: Bearer …); an admin creates one on the admin page")
			return
		case err != nil:
			writeStoreError(w, a.logger, r, err)
			return
		case !t.has(scope):
			writeError(w, http.StatusForbidden, codeForbidden, "the access token lacks the scope "+scope)
			return
		}
		h(w, r.WithContext(context.WithValue(remoteContext(r), tokenKey{}, t)))
	}
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
