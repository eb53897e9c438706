package onboarding

import (
	"context"
	"errors"
)

// Errors of the stores and the Manager. They are wrapped; compare with
// errors.Is.
var (
	// ErrNotFound: no such application, activity or device.
	ErrNotFound = errors.New("onboarding: not found")
	// ErrConflict: an application of that name exists already.
	ErrConflict = errors.New("onboarding: conflict")
	// ErrInvalid: input that fails validation.
	ErrInvalid = errors.New("onboarding: invalid input")
	// ErrDeviceLimit: the user has as many devices as the application allows.
	ErrDeviceLimit = errors.New("onboarding: device limit reached")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("onboarding: store closed")
)

// ApplicationStore keeps applications.
type ApplicationStore interface {
	// CreateApplication stores a (validated by the caller) with a new ID
	// and CreatedAt; a name that exists without regard to case is
	// ErrConflict.
	CreateApplication(ctx context.Context, a Application) (Application, error)
	// GetApplication returns the application by ID or ErrNotFound.
	GetApplication(ctx context.Context, id string) (Application, error)
	// GetApplicationByName finds an application by name without regard to
	// case, or ErrNotFound.
	GetApplicationByName(ctx context.Context, name string) (Application, error)
	// ListApplications returns every application, by name without regard
	// to case.
	ListApplications(ctx context.Context) ([]Application, error)
	// UpdateApplication replaces the stored application a.ID with a
	// (validated by the caller), keeping its ID and CreatedAt, and returns
	// it; an unknown ID is ErrNotFound, a name another application has
	// (without regard to case) ErrConflict. Onboardings under way go on
	// with the new chain from their current step.
	UpdateApplication(ctx context.Context, a Application) (Application, error)
}

// ActivityStore keeps onboardings.
type ActivityStore interface {
	// CreateActivity stores a with a new ID, CreatedAt and UpdatedAt.
	CreateActivity(ctx context.Context, a Activity) (Activity, error)
	// GetActivity returns the activity by ID or ErrNotFound.
	GetActivity(ctx context.Context, id string) (Activity, error)
	// UpdateActivity reads the activity, hands it to fn and stores what fn
	// left in it, in one transaction, so that two concurrent updates never
	// both see the same state: this is how a nonce is consumed exactly
	// once. When fn returns an error nothing is stored and the error is
	// returned unchanged. The ID, ApplicationID, PublicKey and CreatedAt
	// cannot be changed; UpdatedAt is set by the store.
	UpdateActivity(ctx context.Context, id string, fn func(*Activity) error) (Activity, error)
	// ListActivities returns the activities of an application, newest
	// first; with status not empty, only those in it.
	ListActivities(ctx context.Context, applicationID string, status Status) ([]Activity, error)
	// DeleteActivity removes an activity, or returns ErrNotFound.
	DeleteActivity(ctx context.Context, id string) error
}

// DeviceStore keeps enrolled devices.
type DeviceStore interface {
	// AddDevice stores d with CreatedAt (and a new ID unless d has one)
	// unless the user already
	// has limit devices in d's application, which is ErrDeviceLimit. The
	// check and the insert are atomic: concurrent adds never exceed limit.
	AddDevice(ctx context.Context, d Device, limit int) (Device, error)
	// GetDevice returns the device by ID or ErrNotFound.
	GetDevice(ctx context.Context, id string) (Device, error)
	// ListDevices returns a user's devices in an application, oldest first.
	ListDevices(ctx context.Context, applicationID, userID string) ([]Device, error)
	// DeleteDevice removes a device and returns it, or ErrNotFound.
	DeleteDevice(ctx context.Context, id string) (Device, error)
	// DeleteUserDevices removes every device of userID in every
	// application and returns them.
	DeleteUserDevices(ctx context.Context, userID string) ([]Device, error)
}

// Store is all the storage a Manager needs. memstore and sqlstore implement
// it; storetest.Run checks an implementation. Implementations must be safe
// for concurrent use.
type Store interface {
	ApplicationStore
	ActivityStore
	DeviceStore
}
