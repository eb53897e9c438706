package onboarding

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/database"
)

// DefaultDeviceLimit is the number of devices one user may onboard to an
// application when Application.DeviceLimit is 0: 1.
const DefaultDeviceLimit = 1

// Bounds of an Application's fields.
const (
	MaxNameLength         = 200  // bytes of Application.Name
	MaxDescriptionLength  = 2000 // bytes of Application.Description
	MaxRequirements       = 16   // entries of Application.Requirements
	MaxRequirementSetting = 8192 // bytes of one RequirementSpec.Settings
)

// Application is what a user onboards a device to: a name shown in the
// authenticator, its layout there, the chain of requirements an onboarding
// must meet in order, the pool its users live in, and how many devices one
// user may have.
//
// Application users live in a userstore realm (UserRealm), not in a store
// per application: one database serves every application, the realm keeps
// each pool independent (the same username may exist in each), and
// applications that should share users name the same realm.
type Application struct {
	// ID is assigned by the store on create and never changes.
	ID string `json:"id"`
	// Name is required and unique without regard to case.
	Name string `json:"name"`
	// Description is free text for administrators.
	Description string `json:"description,omitempty"`
	// Layout is how the authenticator shows the application.
	Layout Layout `json:"layout"`
	// Requirements are met in this order by every onboarding; at least one.
	Requirements []RequirementSpec `json:"requirements"`
	// UserRealm is the userstore realm of the application's users.
	// Default: database.DefaultRealm.
	UserRealm string `json:"user_realm"`
	// DeviceLimit is the most devices one user may onboard.
	// 0 means DefaultDeviceLimit (1).
	DeviceLimit int `json:"device_limit"`
	// CreatedAt is set by the store.
	CreatedAt time.Time `json:"created_at"`
}

// Layout is how an authenticator shows an application.
type Layout struct {
	LogoURL         string `json:"logo_url,omitempty"`
	PrimaryColour   string `json:"primary_colour,omitempty"`   // "#rrggbb"
	SecondaryColour string `json:"secondary_colour,omitempty"` // "#rrggbb"
}

// RequirementSpec configures one step of an application's chain: the Kind
// of a Requirement registered with the Manager ("credentials", "manual", or
// one of the application's own) and its settings as JSON, which the
// requirement interprets.
type RequirementSpec struct {
	Kind     string          `json:"kind"`
	Settings json.RawMessage `json:"settings,omitempty"`
}

// Limit returns the application's effective device limit.
func (a Application) Limit() int {
	if a.DeviceLimit <= 0 {
		return DefaultDeviceLimit
	}
	return a.DeviceLimit
}

// Realm returns the application's effective user realm.
func (a Application) Realm() string {
	if a.UserRealm == "" {
		return database.DefaultRealm
	}
	return a.UserRealm
}

// NameKey is the form in which application names are compared: lower case.
func NameKey(name string) string { return strings.ToLower(name) }

// Validate reports every problem of a at once (errors.Join), each wrapping
// ErrInvalid.
func (a Application) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if strings.TrimSpace(a.Name) == "" {
		bad("application name is required")
	}
	if len(a.Name) > MaxNameLength || !utf8.ValidString(a.Name) {
		bad("application name must be UTF-8 of at most %d bytes", MaxNameLength)
	}
	if len(a.Description) > MaxDescriptionLength || !utf8.ValidString(a.Description) {
		bad("description must be UTF-8 of at most %d bytes", MaxDescriptionLength)
	}
	if a.DeviceLimit < 0 {
		bad("device limit must not be negative")
	}
	if a.UserRealm != "" {
		if err := database.CheckRealm(a.UserRealm); err != nil {
			bad("user realm: %v", err)
		}
	}
	if len(a.Requirements) == 0 {
		bad("at least one requirement is required")
	}
	if len(a.Requirements) > MaxRequirements {
		bad("at most %d requirements", MaxRequirements)
	}
	for i, r := range a.Requirements {
		if r.Kind == "" || len(r.Kind) > 64 || r.Kind == TagSystem {
			bad("requirement %d: kind must be 1 to 64 bytes and not %q", i, TagSystem)
		}
		if len(r.Settings) > MaxRequirementSetting {
			bad("requirement %d: settings over %d bytes", i, MaxRequirementSetting)
		}
		if len(r.Settings) > 0 && !json.Valid(r.Settings) {
			bad("requirement %d: settings are not JSON", i)
		}
	}
	return errors.Join(errs...)
}
