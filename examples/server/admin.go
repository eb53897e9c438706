package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

//go:embed templates
var templateFiles embed.FS

// pages are the admin page's templates, parsed once.
type pages struct{ t *template.Template }

func parsePages() (*pages, error) {
	t, err := template.ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &pages{t: t}, nil
}

// page is what every template gets.
type page struct {
	Title  string
	Admin  string // signed-in admin's username; empty on the sign-in page
	Error  string
	Notice string
	Data   any
}

// render writes a page, or a plain 500 when the template fails (the
// buffer keeps a half-written page from reaching the browser).
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if s, ok := sessionOf(r.Context()); ok {
		p.Admin = s.Username
	}
	var buf bytes.Buffer
	if err := a.pages.t.ExecuteTemplate(&buf, name, p); err != nil {
		a.logger.ErrorContext(r.Context(), "render admin page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type sessionKey struct{}

// sessionOf returns the admin session of a request that requireAdmin let
// through.
func sessionOf(ctx context.Context) (session, bool) {
	s, ok := ctx.Value(sessionKey{}).(session)
	return s, ok
}

// cookieName is the session cookie's name; under TLS the __Host- prefix
// makes browsers refuse it from anything but this host over HTTPS.
func (a *app) cookieName() string {
	if a.tls() {
		return "__Host-usher_session"
	}
	return "usher_session"
}

func (a *app) tls() bool { return a.cfg.TLSCert != "" }

// requireAdmin lets a request through with a live session and sends
// everyone else to the sign-in page.
func (a *app) requireAdmin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(a.cookieName())
		if err == nil {
			s, err := a.server.session(r.Context(), c.Value)
			if err == nil {
				h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
				return
			}
			if !errors.Is(err, errNoRow) {
				a.logger.ErrorContext(r.Context(), "read admin session", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
		}
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	}
}

// Bounds of the sign-in form.
const (
	maxFormBytes   = 64 << 10
	maxLoginLen    = 256
	maxPasswordLen = 1024
)

// loginData is what the sign-in page shows.
type loginData struct {
	Username string
	OIDC     bool // offer the sign-in at the OpenID Provider
}

func (a *app) loginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "login.html", page{Title: "Sign in", Data: loginData{OIDC: a.oidcClients != nil}})
}

// login checks an admin's password through the admin pool's Service
// (lock-out, audit, equal refusals) and starts a session.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	refuse := func(msg string) {
		if len(username) > maxLoginLen {
			username = ""
		}
		a.render(w, r, http.StatusUnauthorized, "login.html", page{Title: "Sign in", Error: msg, Data: loginData{Username: username, OIDC: a.oidcClients != nil}})
	}
	if username == "" || password == "" || len(username) > maxLoginLen || len(password) > maxPasswordLen {
		refuse("Wrong username or password.")
		return
	}
	key := throttleKey(username, r.RemoteAddr)
	blocked, err := a.server.throttled(r.Context(), key)
	if err != nil {
		a.logger.ErrorContext(r.Context(), "admin sign-in", "err", err)
		refuse("Sign-in is not possible right now; the server's log has the detail.")
		return
	}
	if blocked {
		// The same answer as a wrong password; the password is not checked.
		a.metrics.logins.WithLabelValues("throttled").Inc()
		a.logger.InfoContext(r.Context(), "admin sign-in throttled", "remote", r.RemoteAddr)
		refuse("Wrong username or password.")
		return
	}
	u, err := a.adminSvc.Login(r.Context(), userstore.LoginRequest{Login: username, Password: password, Remote: r.RemoteAddr})
	switch {
	case err == nil:
		if err := a.server.succeeded(r.Context(), key); err != nil {
			a.logger.ErrorContext(r.Context(), "admin sign-in: forget failures", "err", err)
		}
	case errors.Is(err, userstore.ErrInvalidCredentials):
		if err := a.server.failed(r.Context(), key); err != nil {
			a.logger.ErrorContext(r.Context(), "admin sign-in: count failure", "err", err)
		}
	}
	switch {
	case err == nil:
		a.metrics.logins.WithLabelValues("ok").Inc()
	case errors.Is(err, userstore.ErrInvalidCredentials), errors.Is(err, userstore.ErrPasswordChangeRequired):
		a.metrics.logins.WithLabelValues("refused").Inc()
	default:
		a.metrics.logins.WithLabelValues("error").Inc()
	}
	switch {
	case errors.Is(err, userstore.ErrInvalidCredentials):
		refuse("Wrong username or password.")
		return
	case errors.Is(err, userstore.ErrPasswordChangeRequired):
		refuse("This account must change its password first; another admin can set a new one.")
		return
	case err != nil:
		a.logger.ErrorContext(r.Context(), "admin sign-in", "err", err)
		refuse("Sign-in is not possible right now; the server's log has the detail.")
		return
	}
	a.startSession(w, r, u.ID, u.Username, "/admin/")
}

// startSession opens a session for an admin and sends the browser on.
func (a *app) startSession(w http.ResponseWriter, r *http.Request, adminID, username, next string) {
	secret, err := a.server.createSession(r.Context(), adminID, username, a.cfg.SessionTTL)
	if err != nil {
		a.logger.ErrorContext(r.Context(), "admin sign-in", "err", err)
		a.render(w, r, http.StatusInternalServerError, "login.html", page{Title: "Sign in",
			Error: "Sign-in is not possible right now; the server's log has the detail.", Data: loginData{OIDC: a.oidcClients != nil}})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(), Value: secret, Path: "/", HttpOnly: true, Secure: a.tls(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(a.cfg.SessionTTL / time.Second),
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(a.cookieName()); err == nil {
		if s, err := a.server.session(r.Context(), c.Value); err == nil {
			a.auditAdmin(r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)), "admin.signed_out", "", nil)
		}
		if err := a.server.deleteSession(r.Context(), c.Value); err != nil {
			a.logger.ErrorContext(r.Context(), "admin sign-out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: a.tls(), MaxAge: -1})
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}
