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
	AttrSignature     = "sync.signature" // the signature of the user's record (Sign or SignBatch)
	AttrPersonalEmail = "personalEmail"
	AttrRoles         = "roles" // comma-separated
)

// SyncStore is what StoreTarget needs of the user store. A userstore.Store
// has all of it. When the store is also a userstore.SyncWriter (memstore
// and sqlstore are), StoreTarget writes through it: one transaction per
// batch of users instead of several per user.
type SyncStore interface {
	GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error)
	ListUsers(ctx context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error]
	CreateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	SetUserGroups(ctx context.Context, userID string, groups []string) error
}

// StoreTarget is a SyncTarget that writes into a local user store. It
// verifies every record it is handed against the organization's public
// key before writing, and keeps the signature on the user
// (AttrSignature). Verification guards a trust boundary; the one case in
// which a StoreTarget relies on the signer instead is a target made by
// NewSigningStoreTarget fed by Sync, ApplySync or AutoSync with that same
// signer in this process, which hands over records it has just signed
// itself. Its methods are safe for concurrent use.
type StoreTarget struct {
	store    SyncStore
	verifier *RecordVerifier
	// own, set by NewSigningStoreTarget, is the signer whose records the
	// sync functions of this package write without verifying them again.
	own *RecordSigner
}

var _ SyncTarget = (*StoreTarget)(nil)

// NewStoreTarget returns a target over store that accepts records signed
// with the key verifier checks, and verifies every one: the target for
// records that cross a trust boundary (another process signed them).
func NewStoreTarget(store SyncStore, verifier *RecordVerifier) (*StoreTarget, error) {
	if store == nil || verifier == nil {
		return nil, errors.New("directory: NewStoreTarget: store and verifier are required")
	}
	return &StoreTarget{store: store, verifier: verifier}, nil
}

// NewSigningStoreTarget returns a target over store for a sync agent that
// signs its records in the same process: Sync, ApplySync and AutoSync,
// given signer itself, sign each record once and the target writes it
// without verifying the signature again (it relies on the signer, which
// made it a moment before, and every stored signature still verifies
// with the signer's public key). Records handed to the target's own
// ApplySync and ApplySyncBatch methods, and records signed by any other
// signer, are verified against signer's public key as NewStoreTarget's
// target would: a caller cannot have unverified input written by passing
// a signature.
func NewSigningStoreTarget(store SyncStore, signer *RecordSigner) (*StoreTarget, error) {
	if store == nil || signer == nil {
		return nil, errors.New("directory: NewSigningStoreTarget: store and signer are required")
	}
	verifier, err := NewRecordVerifier(signer.Public())
	if err != nil {
		return nil, err
	}
	return &StoreTarget{store: store, verifier: verifier, own: signer}, nil
}

// ParallelBatches makes StoreTarget a ParallelBatchTarget: Sync, ApplySync
// and AutoSync hand it two batches at once when its store is a
// userstore.SyncWriter, so that one is verified and prepared for the store
// (sqlstore works out its rows before it takes the writer lock) while the
// store writes the other; on SQLite the writes themselves take turns, on
// PostgreSQL they run side by side (sqlstore tries a batch again that the
// other got ahead of, as when both create a group). One otherwise. As
// with any ParallelBatchTarget, a username that one batch frees and a
// later one takes may be taken before it is freed: that change fails, and
// the next sync makes it.
func (t *StoreTarget) ParallelBatches() int {
	if _, ok := t.store.(userstore.SyncWriter); ok {
		return 2
	}
	return 1
}

var _ ParallelBatchTarget = (*StoreTarget)(nil)

// signedBy reports whether t writes the records signer signs without
// verifying them: only when t was made by NewSigningStoreTarget with it.
func (t *StoreTarget) signedBy(signer *RecordSigner) bool {
	return t.own != nil && t.own == signer
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

// recordOfUser is the inverse of userFromEntry.
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

// userOfRecord sets the fields a record owns on u. Unlike userFromEntry
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
	if err := t.check(ch.Record, sig, true); err != nil {
		return err
	}
	if w, ok := t.store.(userstore.SyncWriter); ok {
		return t.upsert(ctx, w, []int{0}, []userstore.SyncedUser{syncedUserOf(ch, sig)}, make([]error, 1))
	}
	return t.writeOne(ctx, ch.Record, sig)
}

// writeOne writes a verified record with the single-user methods,
// retrying when a concurrent writer moved the user.
func (t *StoreTarget) writeOne(ctx context.Context, r Record, sig string) error {
	for attempt := 0; ; attempt++ {
		err := t.write(ctx, r, sig)
		if !errors.Is(err, userstore.ErrVersionConflict) || attempt == 4 {
			return err
		}
	}
}

// check verifies a record's signature, when verify is set, and that it
// names its user.
func (t *StoreTarget) check(r Record, sig string, verify bool) error {
	if verify {
		if err := t.verifier.Verify(r, sig); err != nil {
			return err
		}
	}
	if r.Source == "" || r.ExternalID == "" {
		return fmt.Errorf("directory: sync record without source or external ID")
	}
	return nil
}

var _ BatchSyncTarget = (*StoreTarget)(nil)

// ApplySyncBatch carries out changes as ApplySync would one by one. It
// verifies the signatures in parallel (runtime.GOMAXPROCS goroutines),
// and when the store is a userstore.SyncWriter it writes the verified
// records 1,000 at a time, each batch in one transaction,
// while the next batch is being verified. When a batch fails, the user at
// fault is reported alone and the rest of the batch is written again
// without it, so that one bad record does not hold back the others.
func (t *StoreTarget) ApplySyncBatch(ctx context.Context, changes []SignedChange) []error {
	return t.applyBatch(ctx, changes, true)
}

// applyBatch is ApplySyncBatch, verifying the signatures only when verify
// is set: the applier clears it for the records it has just signed with
// the target's own signer (signedBy).
func (t *StoreTarget) applyBatch(ctx context.Context, changes []SignedChange, verify bool) []error {
	errs := make([]error, len(changes))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const size = defaultBatchSize
	verified, wait := parallelChunks(ctx, len(changes), size, func(i int) {
		errs[i] = t.check(changes[i].Change.Record, changes[i].Signature, verify)
	})
	defer wait()
	w, batched := t.store.(userstore.SyncWriter)
	for lo := 0; lo < len(changes); lo += size {
		hi := min(lo+size, len(changes))
		select {
		case <-verified[lo/size]:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			wait()
			for i := lo; i < len(changes); i++ {
				errs[i] = err
			}
			return errs
		}
		if !batched {
			for i := lo; i < hi; i++ {
				if errs[i] == nil {
					errs[i] = t.writeOne(ctx, changes[i].Change.Record, changes[i].Signature)
				}
			}
			continue
		}
		at := make([]int, 0, hi-lo)
		users := make([]userstore.SyncedUser, 0, hi-lo)
		for i := lo; i < hi; i++ {
			if errs[i] == nil {
				at = append(at, i)
				users = append(users, syncedUserOf(changes[i].Change, changes[i].Signature))
			}
		}
		if err := t.upsert(ctx, w, at, users, errs); err != nil && ctx.Err() != nil {
			wait()
			for i := lo; i < len(changes); i++ {
				if errs[i] == nil {
					errs[i] = ctx.Err()
				}
			}
			return errs
		}
	}
	return errs
}

// maxBatchRetries is how many users a batch may lose to errors before
// StoreTarget writes the rest of it one by one.
const maxBatchRetries = 8

// upsert writes users, which are the changes at indexes at, and sets
// errs[at[k]] for each that failed. A batch that fails on a user the
// store names (*userstore.SyncedError) is written again without that
// user; after maxBatchRetries such failures, or on another error, the
// remaining users are written one by one. It returns the last error,
// and stops at once when ctx is done.
func (t *StoreTarget) upsert(ctx context.Context, w userstore.SyncWriter, at []int, users []userstore.SyncedUser, errs []error) error {
	for retry := 0; len(users) > 0; retry++ {
		_, err := w.UpsertSynced(ctx, users)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		var se *userstore.SyncedError
		if len(users) == 1 || !errors.As(err, &se) || se.Index < 0 || se.Index >= len(users) || retry == maxBatchRetries {
			if len(users) == 1 {
				errs[at[0]] = syncWriteErr(users[0].User, err)
				return errs[at[0]]
			}
			var last error
			for k := range users {
				if err := t.upsert(ctx, w, at[k:k+1], users[k:k+1], errs); err != nil {
					last = err
					if ctx.Err() != nil {
						return err
					}
				}
			}
			return last
		}
		k := se.Index
		errs[at[k]] = syncWriteErr(users[k].User, err)
		at = slices.Delete(slices.Clone(at), k, k+1)
		users = slices.Delete(slices.Clone(users), k, k+1)
	}
	return nil
}

// syncWriteErr words a store's refusal of a synced user.
func syncWriteErr(u userstore.User, err error) error {
	if errors.Is(err, userstore.ErrConflict) {
		return fmt.Errorf("directory: the username is taken by a user not synced from source %q (a local user, one of another source, or one synced under another source name: the source's name must stay the same): %w", u.Source, userstore.ErrConflict)
	}
	return err
}

// syncedUserOf is what a SyncWriter is given for a change's record: the
// fields a record owns, and its attributes (an empty one is removed); an
// addition is marked New, so that the store need not look it up.
func syncedUserOf(ch SyncChange, sig string) userstore.SyncedUser {
	r := ch.Record
	roles := ""
	if len(r.Roles) > 0 {
		roles = strings.Join(r.Roles, ",")
	}
	return userstore.SyncedUser{
		User: userstore.User{
			Source: r.Source, ExternalID: r.ExternalID, Username: r.Username, Email: r.CorporateEmail,
			Phone: r.Phone, DisplayName: r.FullName, Enabled: r.Enabled,
			Attributes: map[string]string{AttrPersonalEmail: r.PersonalEmail, AttrRoles: roles, AttrSignature: sig},
		},
		Groups: r.Groups,
		New:    ch.Kind == SyncAdd,
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
			return fmt.Errorf("directory: the username is taken by a user not synced from source %q (a local user, one of another source, or one synced under another source name: the source's name must stay the same): %w", r.Source, err)
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
	if !slices.Equal(canonicalView(groups), canonicalView(r.Groups)) {
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

var _ SyncBatchLookup = (*StoreTarget)(nil)

// SyncedRecords returns the records the store holds for those of a
// source's users whose external IDs are given, keyed by external ID: in
// a few queries when the store is a userstore.SyncReader, with one
// GetUserByExternalID per user otherwise.
func (t *StoreTarget) SyncedRecords(ctx context.Context, source string, externalIDs []string) (map[string]SyncedRecord, error) {
	out := make(map[string]SyncedRecord, len(externalIDs))
	if r, ok := t.store.(userstore.SyncReader); ok {
		users, err := r.UsersByExternalID(ctx, source, externalIDs)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Source == source && u.ExternalID != "" {
				out[u.ExternalID] = SyncedRecord{Record: recordOfUser(u), Signature: u.Attributes[AttrSignature]}
			}
		}
		return out, nil
	}
	for _, id := range externalIDs {
		sr, found, err := t.SyncedRecord(ctx, source, id)
		if err != nil {
			return nil, err
		}
		if found {
			out[id] = sr
		}
	}
	return out, nil
}
