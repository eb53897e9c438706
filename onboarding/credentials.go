package onboarding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/usher-sdk/usher/userstore"
)

// KindCredentials is the kind of the Credentials requirement.
const KindCredentials = "credentials"

// MaxCredentialLength is the longest username or password, in bytes, that
// Credentials accepts: 1024.
const MaxCredentialLength = 1024

// Authenticator checks a login and password and returns the application user,
// found or created from the source's entry. directory.Chain is one: store
// first, then each source. Every refusal must be
// userstore.ErrInvalidCredentials.
type Authenticator interface {
	Authenticate(ctx context.Context, login, password string) (userstore.User, error)
}

// Credentials is the requirement of a username and password, checked through
// the application's lookup chain. The answer is {"username": …,
// "password": …}. A user the chain knows but did not store in the
// application's pool (a Chain without AutoCreate) is refused, as the device
// must be bound to a stored user. It is safe for concurrent use.
type Credentials struct {
	// Chain returns the Authenticator of an application (its user realm
	// and sources). Required.
	Chain func(ctx context.Context, app Application) (Authenticator, error)
}

// Kind returns KindCredentials.
func (Credentials) Kind() string { return KindCredentials }

// Prompt asks for a username and password.
func (Credentials) Prompt(context.Context, StepContext) (Prompt, error) {
	return Prompt{Kind: KindCredentials, Fields: []string{"username", "password"}, Message: "Sign in with your username and password."}, nil
}

type credentialsAnswer struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Check authenticates the answer's username and password.
func (c Credentials) Check(ctx context.Context, sc StepContext, answer json.RawMessage) (Result, error) {
	var a credentialsAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
		return Result{}, fmt.Errorf("%w: %w: credentials answer is not {\"username\",\"password\"}", ErrInvalid, ErrRefused)
	}
	if a.Username == "" || a.Password == "" || len(a.Username) > MaxCredentialLength || len(a.Password) > MaxCredentialLength {
		return Result{}, fmt.Errorf("onboarding: credentials: %w", ErrRefused)
	}
	if c.Chain == nil {
		return Result{}, errors.New("onboarding: credentials: no chain configured")
	}
	auth, err := c.Chain(ctx, sc.Application)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: credentials: chain: %w", err)
	}
	u, err := auth.Authenticate(ctx, a.Username, a.Password)
	if errors.Is(err, userstore.ErrInvalidCredentials) {
		return Result{}, fmt.Errorf("onboarding: credentials: %w", ErrRefused)
	}
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: credentials: %w", err)
	}
	if u.ID == "" {
		return Result{}, fmt.Errorf("onboarding: credentials: user not in the application's pool: %w", ErrRefused)
	}
	return Result{Outcome: Met, UserID: u.ID, Login: a.Username, Message: "Credentials checked. User found."}, nil
}

var _ Requirement = Credentials{}
