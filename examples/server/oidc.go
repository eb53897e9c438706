package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/claims"
)

// openOIDC makes the admin sign-in at an OpenID Provider when
// -oidc-config is set: claims' client with its state in the database (so
// any server process completes any sign-in), and a provisioner that
// keeps an admin account per provider identity in the admin pool.
func (a *app) openOIDC(ctx context.Context) error {
	if a.cfg.OIDCConfig == "" {
		return nil
	}
	if err := a.openOIDCClients(ctx); err != nil {
		return err
	}
	var err error
	a.oidcAdmins, err = claims.NewProvisioner(a.withSyslog(a.admins, "admin"), claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true},
		claims.WithProvisionLogger(a.logger))
	return err
}

// readOIDCConfig reads the claims.Config JSON file of -oidc-config.
func (a *app) readOIDCConfig() (claims.Config, error) {
	var cfg claims.Config
	b, err := readBounded(a.cfg.OIDCConfig)
	if err != nil {
		return cfg, fmt.Errorf("oidc-config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("oidc-config %s: %w", a.cfg.OIDCConfig, err)
	}
	return cfg, nil
}

// oidcSignedIn finishes an OIDC admin sign-in: a user with the admin
// role gets (or keeps) an admin account and a session; anyone else is
// refused, and nothing is created for them.
func (a *app) oidcSignedIn(w http.ResponseWriter, r *http.Request, id claims.Identity, returnTo string) {
	if !slices.Contains(id.Roles, a.cfg.OIDCAdminRole) {
		a.metrics.logins.WithLabelValues("refused").Inc()
		a.logger.InfoContext(r.Context(), "oidc admin sign-in refused: no admin role", "subject", id.Subject, "issuer", id.Issuer, "role", a.cfg.OIDCAdminRole)
		a.render(w, r, http.StatusForbidden, "login.html", page{Title: "Sign in",
			Error: fmt.Sprintf("Your account at the identity provider does not have the role %q that administers this server.", a.cfg.OIDCAdminRole),
			Data:  loginData{OIDC: a.oidcClients != nil}})
		return
	}
	u, _, err := a.oidcAdmins.Provision(r.Context(), id)
	if err != nil {
		a.metrics.logins.WithLabelValues("error").Inc()
		a.logger.ErrorContext(r.Context(), "oidc admin sign-in", "err", err)
		a.render(w, r, http.StatusForbidden, "login.html", page{Title: "Sign in", Error: "Sign-in is not possible for this account; the server's log has the detail.", Data: loginData{OIDC: true}})
		return
	}
	a.metrics.logins.WithLabelValues("ok").Inc()
	a.startSession(w, r, u.ID, u.Username, localReturn(returnTo))
}

// localReturn keeps a return path inside the admin page.
func localReturn(p string) string {
	if len(p) < 512 && strings.HasPrefix(p, "/admin/") && !strings.ContainsAny(p, "\\\r\n") {
		return p
	}
	return "/admin/"
}
