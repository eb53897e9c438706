package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/onboarding"
)

// deviceOIDCCallback is where the OpenID Provider sends the browser of a
// device's OIDC onboarding step: a page that shows the address to relay
// to the device (which completes the sign-in; the page does not).
const deviceOIDCCallback = "/device/oidc/callback"

// openOnboardingOIDC makes the OIDC requirement when -oidc-config is set:
// claims' client (oidcClients) with the same provider and mapping as the
// admin sign-in but its redirect at deviceOIDCCallback (register it at
// the provider too), its state in the database, and users found or
// created in the application's realm.
func (a *app) openOnboardingOIDC(context.Context) (onboarding.Requirement, error) {
	if a.cfg.OIDCConfig == "" {
		return nil, nil
	}
	if a.oidcClients == nil {
		return nil, errors.New("oidc-config: the OpenID Connect clients are not open")
	}
	return onboarding.OIDC{
		Client: func(ctx context.Context, _ onboarding.Application) (onboarding.OIDCClient, error) {
			set, err := a.oidcClients.current(ctx)
			if err != nil {
				return nil, err
			}
			return set.device, nil
		},
		Users: func(ctx context.Context, app onboarding.Application) (onboarding.IdentityProvisioner, error) {
			r, err := a.realms.get(ctx, app.Realm())
			if err != nil {
				return nil, err
			}
			return claims.NewProvisioner(r.store, claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true},
				claims.WithProvisionLogger(a.logger))
		},
	}, nil
}

// deviceOIDCPage shows the callback's address for the person to paste
// into the device; as plain text, so nothing in it is markup.
func (a *app) deviceOIDCPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	fmt.Fprintf(w, "Signed in at the identity provider.\n\nCopy this address into the device (usher-device asks for it):\n\n%s%s\n",
		a.baseURL(), r.URL.RequestURI())
}
