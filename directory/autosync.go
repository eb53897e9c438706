package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CursorStore keeps an autosync's change cursor between runs.
type CursorStore interface {
	LoadCursor(ctx context.Context, source string) (string, error)
	SaveCursor(ctx context.Context, source, cursor string) error
}

// FileCursors is a CursorStore that keeps one small file per source in a
// directory, written atomically (write, sync, rename).
type FileCursors struct{ Dir string }

func (f FileCursors) path(source string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, source)
	return filepath.Join(f.Dir, "cursor-"+safe)
}

// LoadCursor returns the saved cursor, or "" when there is none.
func (f FileCursors) LoadCursor(_ context.Context, source string) (string, error) {
	b, err := os.ReadFile(f.path(source))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

// SaveCursor replaces the saved cursor atomically.
func (f FileCursors) SaveCursor(_ context.Context, source, cursor string) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.Dir, ".cursor-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(cursor + "\n"); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path(source))
}

// SyncRecordLookup is an optional SyncTarget capability: read one synced
// record. Autosync uses it to skip unchanged users of a change batch.
type SyncRecordLookup interface {
	SyncedRecord(ctx context.Context, source, externalID string) (SyncedRecord, bool, error)
}

// AutoSync keeps a target in step with a source: every Interval it applies
// what changed since its saved cursor (when the source is a ChangeSource),
// and every FullEvery it runs a full reconciliation, which also finds the
// users deleted from the source. A failing step is logged and tried again
// at the next tick, so the loop survives the source going away.
type AutoSync struct {
	Source  Source
	Target  SyncTarget
	Signer  *RecordSigner
	Cursors CursorStore
	OrgID   string
	// Interval between incremental steps. Default one minute. A step
	// costs what the source returns, and an LDAP source returns again
	// the changes stamped within its ldap.Config.ChangeMargin (30
	// seconds) before the previous step began: steps more often than
	// that compare those again each time, and write nothing for them.
	Interval time.Duration
	// FullEvery is the time between full reconciliations. Default 24 hours.
	FullEvery time.Duration
	// Plan tunes the full reconciliations (the deactivation guard).
	Plan   PlanOptions
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (a *AutoSync) defaults() (time.Duration, time.Duration, *slog.Logger, func() time.Time) {
	iv, full, log, now := a.Interval, a.FullEvery, a.Logger, a.Now
	if iv <= 0 {
		iv = time.Minute
	}
	if full <= 0 {
		full = 24 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return iv, full, log, now
}

// Run loops until ctx is done, and then returns ctx.Err(). It starts with
// a full reconciliation.
func (a *AutoSync) Run(ctx context.Context) error {
	if a.Source == nil || a.Target == nil || a.Signer == nil || a.Cursors == nil {
		return errors.New("directory: AutoSync needs Source, Target, Signer and Cursors")
	}
	iv, full, log, now := a.defaults()
	var lastFull time.Time
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		doFull := lastFull.IsZero() || now().Sub(lastFull) >= full
		var err error
		if doFull {
			err = a.Full(ctx)
			if err == nil {
				lastFull = now()
			}
		} else {
			_, err = a.Incremental(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.WarnContext(ctx, "directory: autosync step failed; trying again at the next tick", "source", a.Source.Name(), "full", doFull, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Full plans and applies a full sync, then brings the change cursor up to
// date so that the next incremental step starts from now.
func (a *AutoSync) Full(ctx context.Context) error {
	_, _, log, _ := a.defaults()
	p, err := PlanSync(ctx, a.Source, a.Target, a.Plan)
	if err != nil {
		return err
	}
	res, err := ApplySync(ctx, p, a.Target, a.Signer, ApplyOptions{OrgID: a.OrgID, Logger: log})
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "directory: autosync full reconciliation", "source", a.Source.Name(), "applied", appliedText(res.Applied), "failed", len(res.Failed))
	if _, ok := a.Source.(ChangeSource); ok {
		if _, err := a.Incremental(ctx); err != nil {
			return err
		}
	}
	return res.Err()
}

// Incremental applies the changes since the saved cursor and saves the
// next one. It returns the number of users written. The cursor is saved
// only after every change was applied, so a crash repeats work but never
// loses it. A source without changes support does nothing.
func (a *AutoSync) Incremental(ctx context.Context) (int, error) {
	cs, ok := a.Source.(ChangeSource)
	if !ok {
		return 0, nil
	}
	_, _, log, _ := a.defaults()
	cursor, err := a.Cursors.LoadCursor(ctx, a.Source.Name())
	if err != nil {
		return 0, fmt.Errorf("directory: autosync: loading cursor: %w", err)
	}
	// A user may come more than once (changed, and a member of a changed
	// group): the last entry wins, in the place of the first.
	var order []string
	latest := map[string]Record{}
	// next is the cursor of the last element read: the one that covers
	// every entry read, which are all applied before it is saved.
	next := cursor
	for c, err := range cs.Changes(ctx, cursor) {
		if err != nil {
			return 0, fmt.Errorf("directory: autosync: reading changes of %q: %w", a.Source.Name(), err)
		}
		next = c.Cursor
		if c.Entry == nil {
			continue
		}
		// An entry without an ID is refused by ApplySync below, as one
		// change among the others.
		r, _ := sourceRecord(a.Source.Name(), *c.Entry)
		if _, ok := latest[r.ExternalID]; !ok {
			order = append(order, r.ExternalID)
		}
		latest[r.ExternalID] = r
	}
	// Entries the store cannot take are left out (the last entry of a
	// user decides), as a full sync leaves them out.
	order = slices.DeleteFunc(order, func(id string) bool {
		r := latest[id]
		reason := skipReason(r)
		if reason == "" || id == "" {
			return false
		}
		log.InfoContext(ctx, "directory: autosync skipped an entry", "source", a.Source.Name(),
			"external_id", skippedOf(r, reason).ExternalID, "reason", reason)
		return true
	})
	changes, err := a.compare(ctx, order, latest)
	if err != nil {
		return 0, err
	}
	var todo []SyncChange
	for _, ch := range changes {
		if ch.Kind != SyncUnchanged {
			todo = append(todo, ch)
		}
	}
	// Signed in parallel and written in batches when the target can.
	res, err := applyChanges(ctx, todo, a.Target, a.Signer, ApplyOptions{OrgID: a.OrgID, Logger: log})
	written := 0
	for _, n := range res.Applied {
		written += n
	}
	if err != nil {
		return written, err
	}
	failed := make([]error, len(res.Failed))
	for i, f := range res.Failed {
		failed[i] = f
	}
	if err := errors.Join(failed...); err != nil {
		return written, err // keep the old cursor: the failed users are tried again
	}
	if err := a.Cursors.SaveCursor(ctx, a.Source.Name(), next); err != nil {
		return written, fmt.Errorf("directory: autosync: saving cursor: %w", err)
	}
	return written, nil
}

// compare returns the change of each record of latest, in order, against
// what the target holds: read a batch at a time when the target is a
// SyncBatchLookup, one user at a time in parallel when it is a
// SyncRecordLookup; without either every record is an addition.
func (a *AutoSync) compare(ctx context.Context, order []string, latest map[string]Record) ([]SyncChange, error) {
	changes := make([]SyncChange, len(order))
	for i, id := range order {
		r := latest[id]
		changes[i] = SyncChange{Kind: SyncAdd, Record: r, Fields: diffFields(Record{}, r)}
	}
	if bl, ok := a.Target.(SyncBatchLookup); ok {
		for lo := 0; lo < len(order); lo += defaultBatchSize {
			hi := min(lo+defaultBatchSize, len(order))
			ids := slices.DeleteFunc(slices.Clone(order[lo:hi]), func(id string) bool { return id == "" })
			have, err := bl.SyncedRecords(ctx, a.Source.Name(), ids)
			if err != nil {
				return nil, err
			}
			for i := lo; i < hi; i++ {
				if old, found := have[order[i]]; found && order[i] != "" {
					changes[i] = changeOf(old.Record, latest[order[i]])
				}
			}
		}
		return changes, ctx.Err()
	}
	lookup, _ := a.Target.(SyncRecordLookup)
	if lookup == nil {
		return changes, ctx.Err()
	}
	// Read the target in parallel.
	lookErrs := make([]error, len(order))
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, wait := parallelChunks(lctx, len(order), max(len(order), 1), func(i int) {
		r := latest[order[i]]
		old, found, err := lookup.SyncedRecord(lctx, r.Source, r.ExternalID)
		if err != nil {
			lookErrs[i] = err
			cancel()
		} else if found {
			changes[i] = changeOf(old.Record, r)
		}
	})
	wait()
	if err := errors.Join(lookErrs...); err != nil {
		return nil, err
	}
	return changes, ctx.Err()
}

// appliedText writes counts of applied changes for a log line, in a fixed
// order: "add 3, update 1", or "nothing".
func appliedText(m map[SyncKind]int) string {
	var parts []string
	for _, k := range []SyncKind{SyncAdd, SyncUpdate, SyncGroups, SyncActivate, SyncDeactivate} {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
