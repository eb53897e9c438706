package main

import (
	"errors"
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// The end user's password reset: ask for a mail (the same answer whether
// or not the account exists), then choose a password with the mail's link.

type resetData struct {
	Token string
	Done  bool
}

// resetPage: GET /reset shows the request form, GET /reset?token=… the
// new-password form.
func (a *app) resetPage(w http.ResponseWriter, r *http.Request) {
	token := bounded(r.URL.Query().Get("token"), 256)
	title := "Forgot your password?"
	if token != "" {
		title = "Choose a new password"
	}
	a.render(w, r, http.StatusOK, "reset.html", page{Title: title, Data: resetData{Token: token}})
}

// resetRequestForm sends the mail. Its answer never says whether the
// account exists (userstore.Service.RequestPasswordReset does the same
// work either way).
func (a *app) resetRequestForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	login := r.PostFormValue("login")
	if login == "" || len(login) > maxLoginLen {
		a.render(w, r, http.StatusBadRequest, "reset.html", page{Title: "Forgot your password?", Error: "Enter your username or e-mail address."})
		return
	}
	if err := a.userSvc.RequestPasswordReset(r.Context(), userstore.ResetRequest{Login: login, Remote: r.RemoteAddr}); err != nil {
		a.logger.ErrorContext(r.Context(), "password reset request", "err", err)
		a.render(w, r, http.StatusServiceUnavailable, "reset.html", page{Title: "Forgot your password?", Error: "Password reset is not available; ask your administrator."})
		return
	}
	a.render(w, r, http.StatusOK, "reset.html", page{Title: "Check your mail", Notice: "If an account matches, a mail with a link to choose a new password is on its way.", Data: resetData{Done: true}})
}

// resetForm sets the new password with the link's token.
func (a *app) resetForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	token := bounded(r.PostFormValue("token"), 256)
	password := r.PostFormValue("password")
	d := resetData{Token: token}
	if password != r.PostFormValue("confirm") {
		a.render(w, r, http.StatusBadRequest, "reset.html", page{Title: "Choose a new password", Error: "The two passwords differ.", Data: d})
		return
	}
	err := a.userSvc.ResetPassword(r.Context(), token, password)
	var policy *userstore.PolicyError
	switch {
	case err == nil:
		a.render(w, r, http.StatusOK, "reset.html", page{Title: "Password changed", Notice: "Your new password is set. You can sign in with it now.", Data: resetData{Done: true}})
	case errors.As(err, &policy):
		a.render(w, r, http.StatusBadRequest, "reset.html", page{Title: "Choose a new password", Error: "The password is refused: " + policy.Reason + ".", Data: d})
	case errors.Is(err, userstore.ErrInvalidToken):
		a.render(w, r, http.StatusBadRequest, "reset.html", page{Title: "Forgot your password?", Error: "The link is not valid, was used already, or has expired; ask for a new one."})
	default:
		a.logger.ErrorContext(r.Context(), "password reset", "err", err)
		a.render(w, r, http.StatusInternalServerError, "reset.html", page{Title: "Choose a new password", Error: "Something went wrong; try again later.", Data: d})
	}
}
