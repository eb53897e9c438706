package main

import (
	"errors"
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// authenticate: POST /api/v1/authenticate {"login": "jdoe", "password":
// "…"} checks a user's password for an application (a VPN, a web login)
// through the users' Service — lock-out, audit, the same refusal and the
// same time for every reason. 200 {"user": …}; 401 invalid_credentials;
// 403 password_change_required (the password was right, but must change).
func (a *app) authenticate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	if len(body.Login) > maxLoginLen || len(body.Password) > maxPasswordLen {
		body.Login, body.Password = "", "" // refused below like any other
	}
	u, err := a.userSvc.Login(r.Context(), userstore.LoginRequest{Login: body.Login, Password: body.Password, Remote: r.RemoteAddr})
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, struct {
			User apiUser `json:"user"`
		}{toAPIUser(u, a.now())})
	case errors.Is(err, userstore.ErrInvalidCredentials):
		writeError(w, http.StatusUnauthorized, "invalid_credentials", "wrong login or password")
	case errors.Is(err, userstore.ErrPasswordChangeRequired):
		writeError(w, http.StatusForbidden, "password_change_required", "the password must be changed first")
	default:
		writeStoreError(w, a.logger, r, err)
	}
}
