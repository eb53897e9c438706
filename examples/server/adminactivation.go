package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/activation"
)

// activationPage: GET /admin/activation — the settings in force.
func (a *app) activationPage(w http.ResponseWriter, r *http.Request) {
	m := a.activation(w, r)
	if m == nil {
		return
	}
	a.render(w, r, http.StatusOK, "activation.html", page{Title: "Account activation", Data: m.Settings()})
}

// saveActivationForm: POST /admin/activation saves new settings for every
// process; settings New refuses are shown with every problem and not
// saved.
func (a *app) saveActivationForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	num := func(name string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		return n
	}
	s := activation.Settings{
		Enabled: f.Get("enabled") == "true", CodeLength: num("codeLength"), ExpiryDays: num("expiryDays"),
		HyphenEvery: num("hyphenEvery"), PasswordSetMinutes: num("passwordSetMinutes"),
		VerifyExtraDataFirst: f.Get("verifyExtraDataFirst") == "true", DeleteOnStrikeOut: f.Get("deleteOnStrikeOut") == "true",
		KeepDisabled: f.Get("keepDisabled") == "true",
	}
	for _, name := range strings.Split(f.Get("batchAdmins"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			s.BatchAdmins = append(s.BatchAdmins, name)
		}
	}
	sess, _ := sessionOf(r.Context())
	if err := a.activations.save(r.Context(), s, sess.Username); err != nil {
		a.render(w, r, http.StatusBadRequest, "activation.html", page{Title: "Account activation",
			Error: "Not saved: " + strings.ReplaceAll(err.Error(), "\n", "; "), Data: s})
		return
	}
	a.auditAdmin(r, "admin.activation_settings_saved", "", nil)
	m := a.activation(w, r)
	if m == nil {
		return
	}
	a.render(w, r, http.StatusOK, "activation.html", page{Title: "Account activation", Notice: "Saved; every server process uses them from now on.", Data: m.Settings()})
}
