package claims

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/usher-sdk/usher/internal/httpjson"
)

// stateCookie binds a sign-in to the browser that started it.
const stateCookie = "usher_claims_state"

// SignedIn is called by Handler with the Identity of a completed sign-in
// and the returnTo path the sign-in started with ("/" when none); it
// writes the answer (typically: start a session, redirect to returnTo).
type SignedIn func(w http.ResponseWriter, r *http.Request, id Identity, returnTo string)

// Handler returns the http.Handler of the browser sign-in, to mount with
// http.StripPrefix so that it sees two paths:
//
//   - GET /login?return_to=/path starts a sign-in and redirects to the
//     provider. return_to must be a path on this site; anything else
//     becomes "/".
//   - GET or POST /callback (Config.RedirectURL must reach it) completes
//     it with Complete and calls signedIn.
//
// The state is also set in an HttpOnly cookie on the callback's path and
// the callback must come from the browser that holds it, so that nobody
// can make a victim's browser complete the attacker's sign-in. For the
// id_token flow the cookie is SameSite=None and Secure (the provider
// posts cross-site), so that flow needs https.
//
// A refused sign-in answers 403 {"error":"sign_in_refused","message":…}
// and an infrastructure fault 502 {"error":"provider_unavailable",…},
// naming no detail; the detail is logged at Info (refused) or Error. The handler is safe for concurrent use.
func (c *Client) Handler(signedIn SignedIn) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		u, state, err := c.begin(r.Context(), localPath(r.URL.Query().Get("return_to")))
		if err != nil {
			c.fail(w, r, err)
			return
		}
		http.SetCookie(w, c.cookie(state, r))
		http.Redirect(w, r, u, http.StatusFound)
	})
	callback := func(w http.ResponseWriter, r *http.Request) {
		cb, err := CallbackFromRequest(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		gone := c.cookie("", r)
		gone.MaxAge = -1
		http.SetCookie(w, gone)
		ck, err := r.Cookie(stateCookie)
		if err != nil || cb.State == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(cb.State)) != 1 {
			c.fail(w, r, refuse(ErrState, "the callback's state is not this browser's"))
			return
		}
		id, returnTo, err := c.complete(r.Context(), cb)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if returnTo == "" {
			returnTo = "/"
		}
		signedIn(w, r, id, returnTo)
	}
	mux.HandleFunc("GET /callback", callback)
	mux.HandleFunc("POST /callback", callback)
	return mux
}

func (c *Client) cookie(state string, r *http.Request) *http.Cookie {
	path := "/"
	if u, err := url.Parse(c.cfg.RedirectURL); err == nil && u.Path != "" {
		path = u.Path
	}
	ck := &http.Cookie{
		Name: stateCookie, Value: state, Path: path, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: int(c.cfg.StateTTL.Seconds()),
	}
	if c.cfg.ResponseType == ResponseIDToken {
		ck.SameSite, ck.Secure = http.SameSiteNoneMode, true
	}
	return ck
}

func (c *Client) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrRefused) {
		c.log.InfoContext(r.Context(), "claims: sign-in refused", "provider", c.cfg.Name, "reason", err.Error(), "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "sign_in_refused", "The sign-in was refused. Start it again.")
		return
	}
	c.log.ErrorContext(r.Context(), "claims: sign-in failed", "provider", c.cfg.Name, "err", err, "remote", r.RemoteAddr)
	writeError(w, http.StatusBadGateway, "provider_unavailable", "The identity provider could not be reached. Try again later.")
}

// writeError writes Usher's JSON error shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	httpjson.Error(w, status, code, message)
}

// localPath returns p when it is a path on this site, "/" otherwise.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}
