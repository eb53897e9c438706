package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// SyncError is one change a sync could not carry out.
type SyncError struct {
	Change SyncChange
	// Identifier names the user without revealing the e-mail (see
	// Identifier).
	Identifier string
	Err        error
}

func (e *SyncError) Error() string {
	return fmt.Sprintf("directory: sync %s of user %s: %v", e.Change.Kind, e.Identifier, e.Err)
}

func (e *SyncError) Unwrap() error { return e.Err }

// ApplyOptions tune ApplySync.
type ApplyOptions struct {
	// OrgID is the organization ID that identifiers are derived from.
	OrgID string
	// Kinds, when set, limits the changes applied to these kinds (the
	// agent's add, update, activate and deactivate verbs).
	Kinds []SyncKind
	// Only, when set, limits the changes to users for whom it returns true.
	Only func(Record) bool
	// Progress, when set, is called after each change with the number done
	// and the number to do.
	Progress func(done, total int)
	// Logger receives a line per change, naming users by identifier only.
	Logger *slog.Logger
}

// SyncResult says what ApplySync did.
type SyncResult struct {
	Applied map[SyncKind]int
	// Failed lists the changes that were refused or failed; the others
	// were carried out.
	Failed []*SyncError
}

// Err joins the failures, or returns nil.
func (r *SyncResult) Err() error {
	errs := make([]error, len(r.Failed))
	for i, f := range r.Failed {
		errs[i] = f
	}
	return errors.Join(errs...)
}

// ApplySync signs each pending change of p with signer and hands it to
// target. A change that fails is recorded in the result and the others
// go on; a cancelled ctx stops the sync. Because every change is
// idempotent and keyed by the user's external ID, a sync that was killed
// part way and is planned and applied again ends in the same state as one
// that was never interrupted.
func ApplySync(ctx context.Context, p *Plan, target SyncTarget, signer *RecordSigner, opts ApplyOptions) (*SyncResult, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var todo []SyncChange
	for _, c := range p.Pending() {
		if len(opts.Kinds) > 0 && !slices.Contains(opts.Kinds, c.Kind) {
			continue
		}
		if opts.Only != nil && !opts.Only(c.Record) {
			continue
		}
		todo = append(todo, c)
	}
	res := &SyncResult{Applied: map[SyncKind]int{}}
	for i, c := range todo {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		id := Identifier(opts.OrgID, c.Record.CorporateEmail)
		sig, err := signer.Sign(c.Record)
		if err == nil {
			err = target.ApplySync(ctx, c, sig)
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return res, ctxErr
			}
			res.Failed = append(res.Failed, &SyncError{Change: c, Identifier: id, Err: err})
			log.WarnContext(ctx, "sync change failed", "kind", c.Kind, "user", id, "err", err)
		} else {
			res.Applied[c.Kind]++
			log.InfoContext(ctx, "sync change applied", "kind", c.Kind, "user", id, "fields", c.Fields)
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(todo))
		}
	}
	return res, nil
}
