package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// createActivationCode: POST /api/v1/users/{id}/activation-code
// {"extra": {"birthdate": "1990-01-31"}} answers 201 {"code", "expiresAt"}:
// the only copy of the code, which replaces the user's earlier one.
func (a *app) createActivationCode(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Extra map[string]string `json:"extra"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			writeStoreError(w, a.logger, r, err)
			return
		}
	}
	if len(body.Extra) > 20 {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: at most 20 extra values", errBadBody))
		return
	}
	u, err := a.users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	m := a.activation(w, r)
	if m == nil {
		return
	}
	code, err := m.Create(r.Context(), u.Username, body.Extra)
	if err != nil {
		a.writeActivationError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.activation_code_created", u.ID, nil)
	writeJSON(w, http.StatusCreated, struct {
		Code      string    `json:"code"`
		ExpiresAt time.Time `json:"expiresAt"`
	}{code.Code, code.ExpiresAt})
}

// deleteActivationCode: DELETE /api/v1/users/{id}/activation-code.
func (a *app) deleteActivationCode(w http.ResponseWriter, r *http.Request) {
	u, err := a.users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	m := a.activation(w, r)
	if m == nil {
		return
	}
	if err := m.Delete(r.Context(), u.Username); err != nil {
		a.writeActivationError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.activation_code_deleted", u.ID, nil)
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) writeActivationError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, activation.ErrUserNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such user")
	case errors.Is(err, activation.ErrNoActivationData):
		writeError(w, http.StatusNotFound, codeNotFound, "the user has no activation code")
	case errors.Is(err, activation.ErrInvalidInput):
		writeError(w, http.StatusBadRequest, codeInvalidInput, err.Error())
	case errors.Is(err, activation.ErrDisabled):
		writeError(w, http.StatusForbidden, codeForbidden, "account activation is switched off (admin page, Activation)")
	default:
		writeStoreError(w, a.logger, r, err)
	}
}

// The end user's activation pages: a code (and username) opens a short
// window to set a password.

type activateData struct {
	Username string
	Token    string // the password-set token, after a good code
	Done     bool
}

func (a *app) activatePage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "activate.html", page{Title: "Activate your account", Data: activateData{}})
}

// activateForm checks the code. Every refusal says the same, whatever
// the reason (activation.ErrActivationFailed).
func (a *app) activateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	username, code := r.PostFormValue("username"), r.PostFormValue("code")
	d := activateData{Username: bounded(username, maxLoginLen)}
	if len(username) > maxLoginLen || len(code) > 64 {
		username, code = "", ""
	}
	m := a.activation(w, r)
	if m == nil {
		return
	}
	pt, err := m.Activate(r.Context(), activation.Request{Username: username, Code: code, Remote: r.RemoteAddr})
	switch {
	case err == nil:
		d.Token = pt.Token
		a.render(w, r, http.StatusOK, "activate.html", page{Title: "Choose your password",
			Notice: fmt.Sprintf("Your code is right. Choose a password before %s UTC.", pt.ExpiresAt.UTC().Format("15:04")), Data: d})
	case errors.Is(err, activation.ErrActivationFailed), errors.Is(err, activation.ErrInvalidInput):
		a.render(w, r, http.StatusBadRequest, "activate.html", page{Title: "Activate your account",
			Error: "The username or code is not right, or the code has expired. Check them, or ask for a new code.", Data: d})
	case errors.Is(err, activation.ErrDisabled):
		a.render(w, r, http.StatusNotFound, "activate.html", page{Title: "Activate your account", Error: "Account activation is not available.", Data: d})
	default:
		a.logger.ErrorContext(r.Context(), "activation", "err", err)
		a.render(w, r, http.StatusInternalServerError, "activate.html", page{Title: "Activate your account", Error: "Something went wrong; try again later.", Data: d})
	}
}

// activatePasswordForm sets the password with the window's token.
func (a *app) activatePasswordForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	token, password := r.PostFormValue("token"), r.PostFormValue("password")
	d := activateData{Token: bounded(token, 256)}
	if password != r.PostFormValue("confirm") {
		a.render(w, r, http.StatusBadRequest, "activate.html", page{Title: "Choose your password", Error: "The two passwords differ.", Data: d})
		return
	}
	m := a.activation(w, r)
	if m == nil {
		return
	}
	err := m.SetPassword(r.Context(), d.Token, password)
	var policy *userstore.PolicyError
	switch {
	case err == nil:
		a.render(w, r, http.StatusOK, "activate.html", page{Title: "Your account is active", Notice: "Your password is set. You can sign in now.", Data: activateData{Done: true}})
	case errors.As(err, &policy):
		a.render(w, r, http.StatusBadRequest, "activate.html", page{Title: "Choose your password", Error: "The password is refused: " + policy.Reason + ".", Data: d})
	case errors.Is(err, activation.ErrTokenExpired):
		a.render(w, r, http.StatusBadRequest, "activate.html", page{Title: "Activate your account", Error: "The time to set a password has passed; enter your code again.", Data: activateData{}})
	case errors.Is(err, activation.ErrInvalidToken):
		a.render(w, r, http.StatusBadRequest, "activate.html", page{Title: "Activate your account", Error: "This page was already used or is not valid; enter your code again.", Data: activateData{}})
	default:
		a.logger.ErrorContext(r.Context(), "activation password", "err", err)
		a.render(w, r, http.StatusInternalServerError, "activate.html", page{Title: "Choose your password", Error: "Something went wrong; try again later.", Data: d})
	}
}

// outstandingCode is one activation not yet complete, as the API and the
// admin page show it: never the code, which only its hash stores.
type outstandingCode struct {
	UserID           string           `json:"userId"`
	Username         string           `json:"username"`
	Stage            activation.Stage `json:"stage"`
	CreatedAt        time.Time        `json:"createdAt"`
	ExpiresAt        time.Time        `json:"expiresAt"`
	ActivatedAt      *time.Time       `json:"activatedAt,omitempty"`
	PasswordSetUntil *time.Time       `json:"passwordSetUntil,omitempty"`
}

// outstandingPageSize is the admin page's page of outstanding codes.
const outstandingPageSize = 50

// outstanding reads one page of outstanding activations after the cursor
// text after (as Cursor.String gives it) and returns them with the next
// page's cursor text, "" at the end.
func outstanding(r *http.Request, m *activation.Manager, after string, limit int) ([]outstandingCode, string, error) {
	cur, err := activation.ParseCursor(after)
	if err != nil {
		return nil, "", err
	}
	codes, next, err := m.Outstanding(r.Context(), cur, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]outstandingCode, 0, len(codes))
	for _, c := range codes {
		o := outstandingCode{UserID: c.UserID, Username: c.Username, Stage: c.Stage, CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()}
		if !c.ActivatedAt.IsZero() {
			t := c.ActivatedAt.UTC()
			o.ActivatedAt = &t
		}
		if !c.PasswordSetUntil.IsZero() {
			t := c.PasswordSetUntil.UTC()
			o.PasswordSetUntil = &t
		}
		out = append(out, o)
	}
	return out, next.String(), nil
}

// listActivationCodes: GET /api/v1/activation-codes?after=…&limit=… →
// {"codes": […], "next": cursor}: the activations not yet complete, oldest
// first, without their codes; "next" is absent at the end (a page may be
// short before it).
func (a *app) listActivationCodes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > activation.MaxOutstandingPage {
			writeError(w, http.StatusBadRequest, codeInvalidInput, fmt.Sprintf("limit: 1 to %d", activation.MaxOutstandingPage))
			return
		}
		limit = n
	}
	m := a.activation(w, r)
	if m == nil {
		return
	}
	codes, next, err := outstanding(r, m, q.Get("after"), limit)
	if err != nil {
		a.writeActivationError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Codes []outstandingCode `json:"codes"`
		Next  string            `json:"next,omitempty"`
	}{codes, next})
}
