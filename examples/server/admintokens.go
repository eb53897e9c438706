package main

import (
	"errors"
	"net/http"
	"time"
)

type tokensData struct {
	Tokens []accessToken
	Scopes []string
	Secret string // the token just created, shown once
}

func (a *app) tokensPage(w http.ResponseWriter, r *http.Request) {
	a.renderTokens(w, r, http.StatusOK, "", "", "")
}

func (a *app) renderTokens(w http.ResponseWriter, r *http.Request, status int, secret, notice, errMsg string) {
	tokens, err := a.server.tokens(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, status, "tokens.html", page{Title: "Access tokens", Notice: notice, Error: errMsg,
		Data: tokensData{Tokens: tokens, Scopes: knownScopes(), Secret: secret}})
}

// createTokenForm creates an access token and shows its secret once.
func (a *app) createTokenForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderTokens(w, r, http.StatusBadRequest, "", "", "The form could not be read.")
		return
	}
	var ttl time.Duration
	if v := r.PostForm.Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 10*365*24*time.Hour {
			a.renderTokens(w, r, http.StatusBadRequest, "", "", "Choose a validity from the list.")
			return
		}
		ttl = d
	}
	s, _ := sessionOf(r.Context())
	t, secret, err := a.server.createToken(r.Context(), r.PostForm.Get("name"), r.PostForm["scope"], ttl, s.Username)
	if errors.Is(err, errTokenInput) {
		a.renderTokens(w, r, http.StatusBadRequest, "", "", err.Error())
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.token_created", "", map[string]string{"token_id": t.ID, "token_name": t.Name})
	a.renderTokens(w, r, http.StatusCreated, secret, "Created the token "+t.Name+".", "")
}

// revokeTokenForm revokes a token at once: its next request is refused.
func (a *app) revokeTokenForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := a.server.revokeToken(r.Context(), id)
	if errors.Is(err, errNoRow) {
		a.renderTokens(w, r, http.StatusNotFound, "", "", "No such token.")
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.token_revoked", "", map[string]string{"token_id": id})
	a.renderTokens(w, r, http.StatusOK, "", "Revoked.", "")
}
