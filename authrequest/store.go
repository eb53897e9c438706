package authrequest

import (
	"context"
	"errors"
	"time"
)

// Errors of the stores and the Manager. They are wrapped; compare with
// errors.Is.
var (
	// ErrNotFound: no such request, profile, policy or pre-approval.
	ErrNotFound = errors.New("authrequest: not found")
	// ErrConflict: a profile or policy of that name exists already in the
	// application.
	ErrConflict = errors.New("authrequest: conflict")
	// ErrInvalid: input that fails validation.
	ErrInvalid = errors.New("authrequest: invalid input")
	// ErrPendingExists: the profile allows one pending request per user
	// and application, and the user has one.
	ErrPendingExists = errors.New("authrequest: a request is pending for this user")
	// ErrAnswered: the request was answered already, or has expired.
	ErrAnswered = errors.New("authrequest: request already answered or expired")
	// ErrRefused: a device's answer failed verification (signature,
	// nonce, number, expiry, device). The reason is logged, never told.
	ErrRefused = errors.New("authrequest: answer refused")
	// ErrNoAccess: the user has no active pre-approval for an application
	// that requires one.
	ErrNoAccess = errors.New("authrequest: no active pre-approval")
	// ErrUnauthorized: the caller's access token or device proof is
	// missing or wrong.
	ErrUnauthorized = errors.New("authrequest: unauthorized")
	// ErrPermanent wraps a delivery error that retrying cannot fix (a 4xx
	// answer other than 408 and 429, a template that expands to an invalid
	// request).
	ErrPermanent = errors.New("authrequest: permanent delivery failure")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("authrequest: store closed")
)

// RequestStore keeps requests. Every change that causes callbacks records
// their deliveries in the same transaction.
type RequestStore interface {
	// CreateRequest stores r (ID set by the caller) and ds atomically.
	// With singlePending, a pending request (StatePending or
	// StateApproverPending, not expired at r.CreatedAt) of the same user
	// and application makes it fail with ErrPendingExists, atomically with
	// the insert. An existing ID is ErrConflict. The store sets UpdatedAt
	// to CreatedAt.
	CreateRequest(ctx context.Context, r Request, singlePending bool, ds []Delivery) (Request, error)
	// GetRequest returns the request or ErrNotFound.
	GetRequest(ctx context.Context, id string) (Request, error)
	// UpdateRequest reads the request, hands it to fn and stores what fn
	// left in it together with the deliveries fn returns, in one
	// transaction, so that two concurrent answers never both see a pending
	// request. When fn returns an error nothing is stored and the error is
	// returned unchanged. ID, ApplicationID and CreatedAt cannot change;
	// UpdatedAt is set by the store.
	UpdateRequest(ctx context.Context, id string, fn func(*Request) ([]Delivery, error)) (Request, error)
	// PendingRequests returns the requests of the application in
	// StatePending for userID, or in StateApproverPending with
	// approverID == userID, not expired at
	// now (ExpiresAt after now), oldest first, at most limit (limit <= 0
	// returns none). An unclaimed request is never pending; neither is one
	// with an empty user.
	PendingRequests(ctx context.Context, applicationID, userID string, now time.Time, limit int) ([]Request, error)
	// ListRequests returns an application's requests, newest first, at
	// most limit, created before the cursor time (zero: from the newest).
	ListRequests(ctx context.Context, applicationID string, before time.Time, limit int) ([]Request, error)
	// DeleteRequest removes a request (its activity) or returns ErrNotFound.
	DeleteRequest(ctx context.Context, id string) error
	// ExpireRequests moves requests that are not final and whose ExpiresAt
	// is not after now to StateExpired, recording what deliveries fn
	// returns for each (fn receives each request as it now is, in
	// StateExpired), and returns how many it moved.
	ExpireRequests(ctx context.Context, now time.Time, fn func(Request) []Delivery) (int, error)
}

// ProfileStore keeps authentication profiles.
type ProfileStore interface {
	// CreateProfile stores p with a new ID, CreatedAt and UpdatedAt; a
	// name taken in the application (without regard to case) is
	// ErrConflict.
	CreateProfile(ctx context.Context, p Profile) (Profile, error)
	// GetProfile returns the profile, with its Secrets, or ErrNotFound.
	GetProfile(ctx context.Context, id string) (Profile, error)
	// UpdateProfile replaces the profile (keeping ID, ApplicationID and
	// CreatedAt; setting UpdatedAt), or returns ErrNotFound; a name another
	// profile of the application has (without regard to case) is
	// ErrConflict.
	UpdateProfile(ctx context.Context, p Profile) (Profile, error)
	// ListProfiles returns an application's profiles by name.
	ListProfiles(ctx context.Context, applicationID string) ([]Profile, error)
	// DeleteProfile removes a profile or returns ErrNotFound.
	DeleteProfile(ctx context.Context, id string) error
}

// ApprovalStore keeps approvers, pre-approval policies and pre-approvals.
type ApprovalStore interface {
	// SetApprover makes approverID the approver of userID in an
	// application; an empty approverID removes it.
	SetApprover(ctx context.Context, applicationID, userID, approverID string) error
	// Approver returns userID's approver in the application, or "" and no
	// error when there is none.
	Approver(ctx context.Context, applicationID, userID string) (string, error)

	// CreatePolicy stores p with a new ID and CreatedAt; a name taken in
	// the application (without regard to case) is ErrConflict.
	CreatePolicy(ctx context.Context, p PreApprovalPolicy) (PreApprovalPolicy, error)
	// GetPolicy returns the policy or ErrNotFound.
	GetPolicy(ctx context.Context, id string) (PreApprovalPolicy, error)
	// ListPolicies returns an application's policies by name.
	ListPolicies(ctx context.Context, applicationID string) ([]PreApprovalPolicy, error)
	// DeletePolicy removes a policy and its pre-approvals, or returns
	// ErrNotFound.
	DeletePolicy(ctx context.Context, id string) error

	// CreatePreApproval stores p (ID set by the caller; an existing ID is
	// ErrConflict), setting UpdatedAt to CreatedAt.
	CreatePreApproval(ctx context.Context, p PreApproval) (PreApproval, error)
	// GetPreApproval returns the pre-approval or ErrNotFound.
	GetPreApproval(ctx context.Context, id string) (PreApproval, error)
	// UpdatePreApproval reads, hands to fn and stores in one transaction,
	// as UpdateRequest does: ID, ApplicationID and CreatedAt cannot
	// change; UpdatedAt is set by the store.
	UpdatePreApproval(ctx context.Context, id string, fn func(*PreApproval) error) (PreApproval, error)
	// ActivePreApproval returns the user's pre-approval in the application
	// that is PreApprovalActive with ActiveUntil after now, or ErrNotFound.
	ActivePreApproval(ctx context.Context, applicationID, userID string, now time.Time) (PreApproval, error)
}

// ActivityStore records when users last authenticated.
type ActivityStore interface {
	// RecordAuthentication notes that userID approved a request of the
	// application at t; it keeps the latest time, so an earlier t changes
	// nothing.
	RecordAuthentication(ctx context.Context, applicationID, userID string, t time.Time) error
	// LastAuthentication returns when userID last authenticated in any
	// application (zero time for never).
	LastAuthentication(ctx context.Context, userID string) (time.Time, error)
	// ActiveUsers returns the IDs of the users of the application who
	// authenticated at or after since, sorted (applicationID "" for every
	// application).
	ActiveUsers(ctx context.Context, applicationID string, since time.Time) ([]string, error)
}

// Token is an access token of a third party, stored hashed.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Hash is the SHA-256 of the token, hex.
	Hash string `json:"-"`
	// ApplicationIDs are the applications the token may create requests
	// for; empty means none.
	ApplicationIDs []string  `json:"application_ids"`
	CreatedAt      time.Time `json:"created_at"`
}

// TokenStore keeps third parties' access tokens.
type TokenStore interface {
	// CreateToken stores t with a new ID and CreatedAt; a Hash in use is
	// ErrConflict.
	CreateToken(ctx context.Context, t Token) (Token, error)
	// TokenByHash returns the token whose Hash is hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// ListTokens returns every token, oldest first.
	ListTokens(ctx context.Context) ([]Token, error)
	// DeleteToken revokes a token or returns ErrNotFound.
	DeleteToken(ctx context.Context, id string) error
}

// Store is all the storage a Manager needs. memstore and sqlstore
// implement it; storetest.Run checks an implementation. Implementations
// must be safe for concurrent use.
type Store interface {
	RequestStore
	ProfileStore
	ApprovalStore
	ActivityStore
	TokenStore
}
