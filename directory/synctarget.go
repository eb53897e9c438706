package directory

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// User attributes a StoreTarget keeps on synced users.
const (
	AttrSignature     = "sync.signature" // the JWS of the user's record
	AttrPersonalEmail = "personalEmail"
	AttrRoles         = "roles" // comma-separated
)

// SyncStore is what StoreTarget needs of the user store. A userstore.Store
// has all of it.
type SyncStore interface {
	GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error)
	ListUsers(ctx context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error]
	CreateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	SetUserGroups(ctx context.Context, userID string, groups []string) error
}

// StoreTarget is a SyncTarget that writes into a local user store. It
// verifies every record against the organization's public key before
// writing, and keeps the signature on the user (AttrSignature).
type StoreTarget struct {
	store    SyncStore
	verifier *RecordVerifier
}

var _ SyncTarget = (*StoreTarget)(nil)

// NewStoreTarget returns a target over store that accepts records signed
// with the key verifier checks.
func NewStoreTarget(store SyncStore, verifier *RecordVerifier) (*StoreTarget, error) {
	if store == nil || verifier == nil {
		return nil, errors.New("directory: NewStoreTarget: store and verifier are required")
	}
	return &StoreTarget{store: store, verifier: verifier}, nil
}

// Synced streams the records of the users synced from source, as they are
// stored now: a field an admin changed locally shows as a difference that
// the next sync sets back.
func (t *StoreTarget) Synced(ctx context.Context, source string) iter.Seq2[SyncedRecord, error] {
	return func(yield func(SyncedRecord, error) bool) {
		for u, err := range t.store.ListUsers(ctx, userstore.ListOptions{Source: source}) {
			if err != nil {
				yield(SyncedRecord{}, err)
				return
			}
			if u.ExternalID == "" {
				continue
			}
			if !yield(SyncedRecord{Record: recordOfUser(u), Signature: u.Attributes[AttrSignature]}, nil) {
				return
			}
		}
	}
}

// recordOfUser is the inverse of UserFromEntry.
func recordOfUser(u userstore.User) Record {
	var roles []string
	if s := u.Attributes[AttrRoles]; s != "" {
		roles = strings.Split(s, ",")
	}
	return RecordOf(Entry{
		Source: u.Source, ExternalID: u.ExternalID, Username: u.Username, FullName: u.DisplayName,
		CorporateEmail: u.Email, PersonalEmail: u.Attributes[AttrPersonalEmail], Phone: u.Phone,
		Groups: u.Groups, Roles: roles, Enabled: u.Enabled,
	})
}

// userOfRecord sets the fields a record owns on u. Unlike UserFromEntry
// it does not fall back to the personal e-mail, so that recordOfUser
// gives the record back exactly.
func userOfRecord(u userstore.User, r Record, sig string) userstore.User {
	u.Source, u.ExternalID = r.Source, r.ExternalID
	u.Username, u.Email, u.Phone, u.DisplayName, u.Enabled = r.Username, r.CorporateEmail, r.Phone, r.FullName, r.Enabled
	attrs := make(map[string]string, len(u.Attributes)+3)
	for k, v := range u.Attributes {
		attrs[k] = v
	}
	delete(attrs, AttrPersonalEmail)
	delete(attrs, AttrRoles)
	if r.PersonalEmail != "" {
		attrs[AttrPersonalEmail] = r.PersonalEmail
	}
	if len(r.Roles) > 0 {
		attrs[AttrRoles] = strings.Join(r.Roles, ",")
	}
	attrs[AttrSignature] = sig
	u.Attributes = attrs
	return u
}

// ApplySync verifies sig over ch.Record and writes the record: it creates
// the user when the store has none with the record's source and external
// ID, and otherwise sets its fields, enabled state, signature and groups.
// Other attributes and the password are kept. Users are never deleted.
func (t *StoreTarget) ApplySync(ctx context.Context, ch SyncChange, sig string) error {
	r := ch.Record
	if err := t.verifier.Verify(r, sig); err != nil {
		return err
	}
	if r.Source == "" || r.ExternalID == "" {
		return fmt.Errorf("directory: sync record without source or external ID")
	}
	for attempt := 0; ; attempt++ {
		err := t.write(ctx, r, sig)
		if !errors.Is(err, userstore.ErrVersionConflict) || attempt == 4 {
			return err
		}
	}
}

func (t *StoreTarget) write(ctx context.Context, r Record, sig string) error {
	u, err := t.store.GetUserByExternalID(ctx, r.Source, r.ExternalID)
	switch {
	case errors.Is(err, userstore.ErrNotFound):
		created, err := t.store.CreateUser(ctx, userOfRecord(userstore.User{}, r, sig))
		if errors.Is(err, userstore.ErrConflict) {
			// Either a concurrent sync created it (then the retry updates
			// it), or another user holds the username.
			if _, gerr := t.store.GetUserByExternalID(ctx, r.Source, r.ExternalID); gerr == nil {
				return userstore.ErrVersionConflict
			}
			return fmt.Errorf("directory: the username is taken by a user not synced from %q: %w", r.Source, err)
		}
		if err != nil {
			return err
		}
		return t.store.SetUserGroups(ctx, created.ID, r.Groups)
	case err != nil:
		return err
	}
	groups := u.Groups
	if _, err := t.store.UpdateUser(ctx, userOfRecord(u, r, sig)); err != nil {
		return err
	}
	if !slices.Equal(canonicalSet(groups), canonicalSet(r.Groups)) {
		return t.store.SetUserGroups(ctx, u.ID, r.Groups)
	}
	return nil
}

var _ SyncRecordLookup = (*StoreTarget)(nil)

// SyncedRecord returns the record the store holds for a source's user.
func (t *StoreTarget) SyncedRecord(ctx context.Context, source, externalID string) (SyncedRecord, bool, error) {
	u, err := t.store.GetUserByExternalID(ctx, source, externalID)
	if errors.Is(err, userstore.ErrNotFound) {
		return SyncedRecord{}, false, nil
	}
	if err != nil {
		return SyncedRecord{}, false, err
	}
	return SyncedRecord{Record: recordOfUser(u), Signature: u.Attributes[AttrSignature]}, true, nil
}
