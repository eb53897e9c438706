package push

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// DeleteMode says what becomes of a downstream user whose Usher user was
// deleted.
type DeleteMode string

const (
	// Deactivate sets the downstream user's active to false with a PATCH
	// (RFC 7644, section 3.5.2.3) and keeps it. The default.
	Deactivate DeleteMode = "deactivate"
	// Delete removes the downstream user (RFC 7644, section 3.6).
	Delete DeleteMode = "delete"
)

// MembersMode says how a group's membership is pushed to a downstream group
// that exists.
type MembersMode string

const (
	// ReplaceMembers sends the whole group, members included, with PUT
	// (RFC 7644, section 3.5.1). The default.
	ReplaceMembers MembersMode = "replace"
	// PatchMembers reads the downstream group and sends only the members
	// to add and to remove with PATCH (RFC 7644, section 3.5.2), for
	// downstreams with large groups or that take no PUT of a group.
	PatchMembers MembersMode = "patch"
)

// Config configures a Follower. Only BaseURL is required; every other zero
// field takes the default in its comment. It is read once by New.
type Config struct {
	// BaseURL is the downstream's SCIM base URL, to which "/Users" and
	// "/Groups" are appended, e.g. "https://platform.example/scim/v2".
	// It must be https, unless the host is a loopback address or
	// InsecureAllowHTTP is set. Required.
	BaseURL string `json:"baseURL"`

	// InsecureAllowHTTP lets BaseURL be plain http to a non-loopback host,
	// which sends the bearer token and every user unencrypted. Only for
	// tests and trusted networks.
	InsecureAllowHTTP bool `json:"insecureAllowHTTP,omitempty"`

	// Name names the follower's cursor in the CursorStore, so that
	// several followers (of several realms or downstreams) can share one.
	// Default "default".
	Name string `json:"name,omitempty"`

	// DeleteMode is what a deleted Usher user becomes downstream.
	// Default Deactivate. Groups are always deleted.
	DeleteMode DeleteMode `json:"deleteMode,omitempty"`

	// Members is how membership reaches a downstream group that exists;
	// one the downstream lacks is created with POST either way. Default
	// ReplaceMembers.
	Members MembersMode `json:"members,omitempty"`

	// BatchSize is the most changes one Step reads and pushes before it
	// saves the cursor. Default 100.
	BatchSize int `json:"batchSize,omitempty"`

	// PageSize is how many resources one list request asks the downstream
	// for: Reconcile's, and the search for a deleted user's groups.
	// Default 100.
	PageSize int `json:"pageSize,omitempty"`

	// RetryMin and RetryMax bound Run's wait after a failed Step: it
	// starts at RetryMin and doubles up to RetryMax; a successful Step
	// resets it. Defaults 1 second and 1 minute.
	RetryMin time.Duration `json:"retryMin,omitempty"`
	RetryMax time.Duration `json:"retryMax,omitempty"`

	// PollInterval is how long Run waits before asking the feed again
	// once it has pushed everything. Default 2 seconds.
	PollInterval time.Duration `json:"pollInterval,omitempty"`

	// RequestTimeout bounds every request to the downstream, the wait for
	// its answer's body included. Default 30 seconds.
	RequestTimeout time.Duration `json:"requestTimeout,omitempty"`
}

// withDefaults returns c with every zero field set to its default, and
// reports every problem at once.
func (c Config) withDefaults() (Config, *url.URL, error) {
	if c.Name == "" {
		c.Name = "default"
	}
	if c.DeleteMode == "" {
		c.DeleteMode = Deactivate
	}
	if c.Members == "" {
		c.Members = ReplaceMembers
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.RetryMin == 0 {
		c.RetryMin = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = time.Minute
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	var errs []error
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		errs = append(errs, errors.New(`push: missing required field "baseURL"`))
	case err != nil:
		errs = append(errs, fmt.Errorf("push: baseURL: %w", err))
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		errs = append(errs, fmt.Errorf("push: baseURL %q: not an absolute http or https URL", c.BaseURL))
	case u.Scheme == "http" && !c.InsecureAllowHTTP && !isLoopback(u.Hostname()):
		errs = append(errs, fmt.Errorf("push: baseURL %q: plain http to a non-loopback host needs InsecureAllowHTTP", c.BaseURL))
	}
	if c.DeleteMode != Deactivate && c.DeleteMode != Delete {
		errs = append(errs, fmt.Errorf("push: deleteMode %q: want %q or %q", c.DeleteMode, Deactivate, Delete))
	}
	if c.Members != ReplaceMembers && c.Members != PatchMembers {
		errs = append(errs, fmt.Errorf("push: members %q: want %q or %q", c.Members, ReplaceMembers, PatchMembers))
	}
	for _, f := range []struct {
		name string
		bad  bool
	}{
		{"batchSize", c.BatchSize < 0},
		{"pageSize", c.PageSize < 0},
		{"retryMin", c.RetryMin < 0},
		{"retryMax", c.RetryMax < c.RetryMin},
		{"pollInterval", c.PollInterval < 0},
		{"requestTimeout", c.RequestTimeout < 0},
	} {
		if f.bad {
			errs = append(errs, fmt.Errorf("push: %s: out of range", f.name))
		}
	}
	if len(errs) > 0 {
		return c, nil, errors.Join(errs...)
	}
	return c, u, nil
}
