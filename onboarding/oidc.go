package onboarding

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/userstore"
)

// KindOIDC is the kind of the OpenID Connect requirement.
const KindOIDC = "oidc"

// OIDCClient is what the OIDC requirement needs of claims.Client, Usher's
// one OpenID Connect client.
type OIDCClient interface {
	AuthURL(ctx context.Context, returnTo string) (string, error)
	Complete(ctx context.Context, cb claims.Callback) (claims.Identity, string, error)
}

// IdentityProvisioner finds or creates the application user of a verified
// sign-in; claims.Provisioner is one.
type IdentityProvisioner interface {
	Provision(ctx context.Context, id claims.Identity) (userstore.User, bool, error)
}

// OIDC is the requirement of a sign-in at an OpenID Provider, through
// package claims (authorization code with PKCE, state and nonce). It is
// answered twice: first {}, to which the answer's prompt carries the
// authorization URL (Prompt.URL) that the device opens in a browser; then
// the callback's parameters, {"state", "code"} (or "id_token"), which the
// device relays from its redirect URL. The sign-in's state is bound to the
// activity, so a callback of another onboarding is refused. The user is found
// or created from the claims (sub → external ID, mapped fields) by Users.
// It is safe for concurrent use.
type OIDC struct {
	// Client returns the OIDC client of an application. Required.
	Client func(ctx context.Context, app Application) (OIDCClient, error)
	// Users returns the provisioner into the application's pool. Required.
	Users func(ctx context.Context, app Application) (IdentityProvisioner, error)
}

// Kind returns KindOIDC.
func (OIDC) Kind() string { return KindOIDC }

// Prompt asks the device to start the sign-in with an empty answer.
func (OIDC) Prompt(context.Context, StepContext) (Prompt, error) {
	return Prompt{Kind: KindOIDC, Fields: []string{"state", "code"},
		Message: "Answer {} for the sign-in URL, then relay the callback's state and code."}, nil
}

type oidcAnswer struct {
	State   string `json:"state"`
	Code    string `json:"code"`
	IDToken string `json:"id_token"`
	Error   string `json:"error"`
}

// Check starts the sign-in or completes it.
func (o OIDC) Check(ctx context.Context, sc StepContext, answer json.RawMessage) (Result, error) {
	var a oidcAnswer
	if err := json.Unmarshal(answer, &a); err != nil || len(a.State) > 512 || len(a.Code) > 2048 || len(a.IDToken) > 8192 {
		return Result{}, fmt.Errorf("%w: %w: OIDC answer is {} or the callback's parameters", ErrInvalid, ErrRefused)
	}
	if o.Client == nil || o.Users == nil {
		return Result{}, errors.New("onboarding: oidc: Client and Users are required")
	}
	client, err := o.Client(ctx, sc.Application)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: oidc: client: %w", err)
	}
	if a.State == "" {
		u, err := client.AuthURL(ctx, sc.Activity.ID)
		if err != nil {
			return Result{}, fmt.Errorf("onboarding: oidc: %w", err)
		}
		return Result{Outcome: Again, Message: "Sign-in at the identity provider started.",
			Prompt: &Prompt{Kind: KindOIDC, Fields: []string{"state", "code"}, URL: u, Message: "Sign in, then relay the callback."}}, nil
	}
	id, returnTo, err := client.Complete(ctx, claims.Callback{State: a.State, Code: a.Code, IDToken: a.IDToken, Error: a.Error})
	if errors.Is(err, claims.ErrRefused) {
		return Result{}, fmt.Errorf("onboarding: oidc: %w: %w", ErrRefused, err)
	}
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: oidc: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(returnTo), []byte(sc.Activity.ID)) != 1 {
		return Result{}, fmt.Errorf("onboarding: oidc: sign-in of another onboarding: %w", ErrRefused)
	}
	users, err := o.Users(ctx, sc.Application)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: oidc: users: %w", err)
	}
	u, _, err := users.Provision(ctx, id)
	if errors.Is(err, claims.ErrRefused) {
		return Result{}, fmt.Errorf("onboarding: oidc: %w: %w", ErrRefused, err)
	}
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: oidc: provision: %w", err)
	}
	return Result{Outcome: Met, UserID: u.ID, Login: u.Username, Message: "Signed in at the identity provider. User found."}, nil
}

var _ Requirement = OIDC{}
