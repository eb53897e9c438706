package main

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/activation"
)

// activationData is what the activation page shows: the settings and a
// page of the activations not yet complete.
type activationData struct {
	Settings activation.Settings
	Codes    []outstandingCode
	// After is this page's cursor ("" for the first), Next the next one's
	// ("" at the end).
	After, Next string
}

// activationPage: GET /admin/activation?after=… — the settings in force
// and the outstanding codes, a page at a time.
func (a *app) activationPage(w http.ResponseWriter, r *http.Request) {
	a.renderActivation(w, r, http.StatusOK, "", "", nil)
}

// renderActivation shows the activation page; settings, when not nil, are
// the form's as the admin filled it (not saved).
func (a *app) renderActivation(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string, settings *activation.Settings) {
	m := a.activation(w, r)
	if m == nil {
		return
	}
	d := activationData{Settings: m.Settings(), After: bounded(r.URL.Query().Get("after"), 256)}
	if settings != nil {
		d.Settings = *settings
	}
	codes, next, err := outstanding(r, m, d.After, outstandingPageSize)
	if errors.Is(err, activation.ErrInvalidInput) {
		status, errMsg, d.After = http.StatusBadRequest, "That page of codes does not exist; this is the first.", ""
		codes, next, err = outstanding(r, m, "", outstandingPageSize)
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	d.Codes, d.Next = codes, next
	a.render(w, r, status, "activation.html", page{Title: "Account activation", Notice: notice, Error: errMsg, Data: d})
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
		a.renderActivation(w, r, http.StatusBadRequest, "", "Not saved: "+strings.ReplaceAll(err.Error(), "\n", "; "), &s)
		return
	}
	a.auditAdmin(r, "admin.activation_settings_saved", "", nil)
	a.renderActivation(w, r, http.StatusOK, "Saved; every server process uses them from now on.", "", nil)
}
