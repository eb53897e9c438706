package directory

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/usher-sdk/usher/userstore"
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

// defaultBatchSize is how many changes ApplySync hands a BatchSyncTarget
// at once, and how many users a StoreTarget writes in one transaction,
// when not set otherwise.
const defaultBatchSize = 1000

// pipelineDepth is how many chunks of changes may wait between the stages
// of a sync (planning, signing, writing), so that a stage that is slower
// for a moment does not stall the others; memory holds at most a few
// chunks more.
const pipelineDepth = 3

// ApplyOptions tune ApplySync.
type ApplyOptions struct {
	// OrgID is the organization ID that identifiers are derived from.
	OrgID string
	// Kinds, when set, limits the changes applied to these kinds (the
	// agent's add, update, activate and deactivate verbs).
	Kinds []SyncKind
	// Only, when set, limits the changes to users for whom it returns true.
	Only func(Record) bool
	// Progress, when set, is called with the number of changes done and
	// the number to do: after each change, or after each batch when the
	// target is a BatchSyncTarget. Calls are never concurrent; ApplySync
	// makes them from its caller's goroutine, Sync from one of its own.
	Progress func(done, total int)
	// Logger receives a line per change, naming users by identifier only.
	Logger *slog.Logger
	// BatchSize is how many changes a BatchSyncTarget is given at once
	// (a StoreTarget writes each batch in transactions of at most
	// 1,000 users). Default 1,000.
	BatchSize int
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

// SignedChange is a change together with the signature of its record.
type SignedChange struct {
	Change    SyncChange
	Signature string
}

// BatchSyncTarget is an optional SyncTarget capability: carry out many
// changes in one call, which lets a target verify them in parallel and
// write them in few transactions. ApplySync uses it when the target has
// it. StoreTarget implements it.
type BatchSyncTarget interface {
	SyncTarget
	// ApplySyncBatch carries out changes as ApplySync would one by one, in
	// order, and returns one error per change (nil when it was carried
	// out). A change that fails does not keep the others from being
	// carried out. When ctx is done, the changes not carried out get
	// ctx's error.
	ApplySyncBatch(ctx context.Context, changes []SignedChange) []error
}

// ApplySync signs each pending change of p with signer and hands it to
// target: in batches of ApplyOptions.BatchSize when target is a
// BatchSyncTarget, one by one otherwise. Records are signed in parallel,
// ahead of the writes. A change that fails is recorded in the result and
// the others go on; a cancelled ctx stops the sync. Because every change
// is idempotent and keyed by the user's external ID, a sync that was
// killed part way and is planned and applied again ends in the same state
// as one that was never interrupted.
func ApplySync(ctx context.Context, p *Plan, target SyncTarget, signer *RecordSigner, opts ApplyOptions) (*SyncResult, error) {
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
	return applyChanges(ctx, todo, target, signer, opts)
}

// applyChanges signs and applies todo; see ApplySync.
func applyChanges(ctx context.Context, todo []SyncChange, target SyncTarget, signer *RecordSigner, opts ApplyOptions) (*SyncResult, error) {
	a := newApplier(target, signer, opts)
	a.total = len(todo)
	if err := ctx.Err(); err != nil {
		return a.res, err
	}
	in := make(chan []SyncChange, pipelineDepth)
	go func() {
		defer close(in)
		for lo := 0; lo < len(todo); lo += a.size {
			select {
			case in <- todo[lo:min(lo+a.size, len(todo))]:
			case <-ctx.Done():
				return
			}
		}
	}()
	return a.res, a.run(ctx, in)
}

// applier signs and applies chunks of changes: signing the next chunk in
// parallel while the target applies the one before.
type applier struct {
	target  SyncTarget
	batcher BatchSyncTarget // nil when target is not one
	signer  *RecordSigner
	opts    ApplyOptions
	log     *slog.Logger
	size    int // changes per chunk
	res     *SyncResult
	// done counts the changes carried out or failed; total is the number
	// to do, as far as it is known.
	done, total int
	// totalFn, when set, gives total at the time of a Progress call.
	totalFn func() int
}

func newApplier(target SyncTarget, signer *RecordSigner, opts ApplyOptions) *applier {
	a := &applier{target: target, signer: signer, opts: opts, log: opts.Logger, size: opts.BatchSize,
		res: &SyncResult{Applied: map[SyncKind]int{}}}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.size <= 0 {
		a.size = defaultBatchSize
	}
	if b, ok := target.(BatchSyncTarget); ok {
		a.batcher = b
	} else {
		a.size = 64 // signing still runs ahead in parallel
	}
	return a
}

// signedChunk is a chunk of changes with their signatures, or the errors
// of signing them.
type signedChunk struct {
	changes []SignedChange
	errs    []error
}

// signChunk signs a chunk's records RecordsPerHead at a time
// (SignBatch), the trees in parallel.
func signChunk(ctx context.Context, signer *RecordSigner, chunk []SyncChange) signedChunk {
	sc := signedChunk{changes: make([]SignedChange, len(chunk)), errs: make([]error, len(chunk))}
	trees := (len(chunk) + RecordsPerHead - 1) / RecordsPerHead
	_, wait := parallelChunks(ctx, trees, trees, func(t int) {
		lo, hi := t*RecordsPerHead, min((t+1)*RecordsPerHead, len(chunk))
		records := make([]Record, hi-lo)
		for i := lo; i < hi; i++ {
			sc.changes[i].Change = chunk[i]
			records[i-lo] = chunk[i].Record
		}
		sigs, err := signer.SignBatch(records)
		for i := lo; i < hi; i++ {
			if err != nil {
				sc.errs[i] = err
				continue
			}
			sc.changes[i].Signature = sigs[i-lo]
		}
	})
	wait()
	return sc
}

// run applies the chunks that arrive on in until it is closed, and
// returns ctx's error if it is done first. The sender must stop sending
// when ctx is done.
func (a *applier) run(ctx context.Context, in <-chan []SyncChange) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	signed := make(chan signedChunk, pipelineDepth)
	go func() {
		defer close(signed)
		for chunk := range in {
			sc := signChunk(ctx, a.signer, chunk)
			if ctx.Err() != nil {
				return
			}
			select {
			case signed <- sc:
			case <-ctx.Done():
				return
			}
		}
	}()
	if n := a.parallelBatches(); n > 1 {
		return a.applyParallel(ctx, signed, n)
	}
	for sc := range signed {
		if err := a.apply(ctx, sc); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// apply carries out one signed chunk.
func (a *applier) apply(ctx context.Context, sc signedChunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.batcher == nil {
		for i, c := range sc.changes {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := sc.errs[i]
			if err == nil {
				err = a.target.ApplySync(ctx, c.Change, c.Signature)
			}
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			a.report(ctx, c.Change, err)
			a.progress(1)
		}
		return nil
	}
	batch := signedOnly(sc)
	errs := a.send(ctx, batch)
	return a.finish(ctx, sc, batch, errs)
}

// signedOnly is the changes of sc whose signing did not fail: those go to
// the target together, and finish reports the others. When all were
// signed, it is sc.changes itself.
func signedOnly(sc signedChunk) []SignedChange {
	if !slices.ContainsFunc(sc.errs, func(err error) bool { return err != nil }) {
		return sc.changes
	}
	batch := make([]SignedChange, 0, len(sc.changes))
	for i, c := range sc.changes {
		if sc.errs[i] == nil {
			batch = append(batch, c)
		}
	}
	return batch
}

// send hands a batch to the batch target.
func (a *applier) send(ctx context.Context, batch []SignedChange) []error {
	if st, ok := a.target.(*StoreTarget); ok && st.signedBy(a.signer) {
		return st.applyBatch(ctx, batch, false) // signed by a.signer just now
	}
	return a.batcher.ApplySyncBatch(ctx, batch)
}

// finish reports the outcome of a chunk sent as batch, whose changes got
// errs.
func (a *applier) finish(ctx context.Context, sc signedChunk, batch []SignedChange, errs []error) error {
	for i, c := range sc.changes {
		if sc.errs[i] != nil {
			a.report(ctx, c.Change, sc.errs[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for k, c := range batch {
		var err error
		if k < len(errs) {
			err = errs[k]
		} else {
			err = errors.New("directory: the target returned no result for the change")
		}
		a.report(ctx, c.Change, err)
	}
	a.progress(len(sc.changes))
	return nil
}

// report records the outcome of one change.
// A change applied is only counted unless the logger takes Info: a full
// sync applies every user, and its identifier (a SHA-256) and log
// arguments were 7% of its allocations.
func (a *applier) report(ctx context.Context, c SyncChange, err error) {
	if err != nil {
		id := Identifier(a.opts.OrgID, c.Record.CorporateEmail)
		a.res.Failed = append(a.res.Failed, &SyncError{Change: c, Identifier: id, Err: err})
		a.log.WarnContext(ctx, "directory: sync change failed", "kind", c.Kind, "user", id, "err", err)
		return
	}
	a.res.Applied[c.Kind]++
	if a.log.Enabled(ctx, slog.LevelInfo) {
		a.log.InfoContext(ctx, "directory: sync change applied", "kind", c.Kind, "user", Identifier(a.opts.OrgID, c.Record.CorporateEmail), "fields", c.Fields)
	}
}

func (a *applier) progress(n int) {
	a.done += n
	if a.opts.Progress == nil {
		return
	}
	total := a.total
	if a.totalFn != nil {
		total = a.totalFn()
	}
	a.opts.Progress(a.done, max(total, a.done))
}

// parallelChunks runs work(i) for i in [0, n) on runtime.GOMAXPROCS(0)
// goroutines, roughly in order, and returns one channel per chunk of size
// indexes that is closed once work has returned for all of them, and a
// function that waits until every goroutine has stopped. Workers stop
// early when ctx is done; the channels of unfinished chunks are then
// never closed.
func parallelChunks(ctx context.Context, n, size int, work func(i int)) ([]chan struct{}, func()) {
	nchunks := (n + size - 1) / size
	chunks := make([]chan struct{}, nchunks)
	left := make([]atomic.Int32, nchunks)
	for c := range chunks {
		chunks[c] = make(chan struct{})
		left[c].Store(int32(min(size, n-c*size)))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				work(i)
				if left[i/size].Add(-1) == 0 {
					close(chunks[i/size])
				}
			}
		})
	}
	return chunks, wg.Wait
}

// Sync plans and applies a sync of src into target in one pass, for
// large first syncs: it streams the source and hands each change to the
// target as soon as a batch of them is planned, while the source is
// still being read. When the target is a SyncBatchLookup (StoreTarget
// is), Sync compares the source with it a batch of users at a time and
// then streams the target once more for the users the source no longer
// has; otherwise it reads the whole target first. Either way memory holds
// the changes still to be carried out (a few batches, and the
// deactivations), not the users that are unchanged or already written.
//
// The plan and the result are the ones PlanSync and ApplySync would give,
// with these differences: the plan's Changes hold only the deactivations
// and, when aopts.Only is set, the changes it selects (unchanged ones
// too), while Count counts every kind; and deactivations (users
// disabled in, or gone from, the source) are held back until the whole
// source was read, and applied only when the guard (PlanOptions) allows
// them; when it does not, Sync returns an error wrapping ErrSyncGuard,
// and the other changes have been carried out. A source that fails part
// way, or two entries with the same external ID, stop the sync with an
// error after the changes planned so far; a sync run again finishes the
// work. Progress reports the changes planned so far as the total.
// aopts.Kinds and aopts.Only select changes as for ApplySync.
func Sync(ctx context.Context, src Source, target SyncTarget, signer *RecordSigner, popts PlanOptions, aopts ApplyOptions) (*Plan, *SyncResult, error) {
	view, err := viewOf(ctx, src.Name(), target)
	if err != nil {
		return nil, nil, err
	}
	p := &Plan{Source: src.Name()}
	a := newApplier(target, signer, aopts)
	var total atomic.Int64
	a.totalFn = func() int { return int(total.Load()) }

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan []SyncChange, pipelineDepth)
	applied := make(chan error, 1)
	go func() { applied <- a.run(actx, in) }()
	chunk := make([]SyncChange, 0, a.size)
	queue := func(c SyncChange) bool {
		total.Add(1)
		chunk = append(chunk, c)
		if len(chunk) < a.size {
			return true
		}
		select {
		case in <- chunk:
			chunk = make([]SyncChange, 0, a.size)
			return true
		case <-actx.Done():
			return false
		}
	}
	selected := func(c SyncChange) bool {
		return c.Kind != SyncUnchanged && (len(aopts.Kinds) == 0 || slices.Contains(aopts.Kinds, c.Kind)) &&
			(aopts.Only == nil || aopts.Only(c.Record))
	}
	// keep records a change in the plan: the deactivations, which wait for
	// the guard, and the changes Only selects (so that a caller can tell
	// an unchanged user from one neither side has); the others are handed
	// to the target and counted.
	keep := func(c SyncChange) {
		if c.Kind != SyncDeactivate && (aopts.Only == nil || !aopts.Only(c.Record)) {
			p.count(c.Kind)
			return
		}
		p.Changes = append(p.Changes, c)
	}

	var (
		stop   error
		held   []SyncChange // deactivations, until the guard has spoken
		seen   = map[string]struct{}{}
		active int // the target's active users before the sync
		batch  = make([]Record, 0, a.size)
	)
	// plan compares a batch of source records with the target and queues
	// the changes.
	plan := func() error {
		ids := make([]string, len(batch))
		for i, r := range batch {
			ids[i] = r.ExternalID
		}
		have, err := view.lookup(ctx, ids)
		if err != nil {
			return fmt.Errorf("directory: reading the target: %w", err)
		}
		for _, r := range batch {
			c := SyncChange{Kind: SyncAdd, Record: r, Fields: diffFields(Record{}, r)}
			if old, ok := have[r.ExternalID]; ok {
				c = changeOf(old, r)
				p.TargetUsers++
				if old.Enabled {
					active++
				}
			}
			keep(c)
			switch {
			case !selected(c):
			case c.Kind == SyncDeactivate:
				held = append(held, c)
			case !queue(c):
				return actx.Err()
			}
		}
		batch = batch[:0]
		return nil
	}
	for e, err := range src.Users(ctx) {
		if err != nil {
			stop = fmt.Errorf("directory: reading source %q: %w", src.Name(), err)
			break
		}
		r, err := sourceRecord(src.Name(), e)
		if err != nil {
			stop = err
			break
		}
		if _, dup := seen[r.ExternalID]; dup {
			stop = fmt.Errorf("directory: source %q: two entries have the external ID %q", src.Name(), skippedOf(r, "").ExternalID)
			break
		}
		seen[strings.Clone(r.ExternalID)] = struct{}{} // not the buffer it may share
		if reason := skipReason(r); reason != "" {
			p.Skipped = append(p.Skipped, skippedOf(r, reason))
			continue
		}
		if batch = append(batch, r); len(batch) == cap(batch) {
			if stop = plan(); stop != nil {
				break
			}
		}
	}
	if len(batch) > 0 && actx.Err() == nil {
		// What was read before a source's error is carried out too.
		if err := plan(); stop == nil {
			stop = err
		}
	}
	p.SourceUsers = len(seen)
	if stop == nil {
		// The users of the target the source does not have: inactive ones
		// are left alone, active ones are deactivated.
		var gone []SyncChange
		for old, err := range view.rest(ctx, func(id string) bool { _, ok := seen[id]; return ok }) {
			if err != nil {
				stop = fmt.Errorf("directory: reading the target: %w", err)
				break
			}
			p.TargetUsers++
			if old.Enabled {
				active++
				r := old
				r.Enabled = false
				gone = append(gone, SyncChange{Kind: SyncDeactivate, Record: r, Before: old, Fields: []string{"enabled"}, Gone: true})
			}
		}
		slices.SortFunc(gone, func(a, b SyncChange) int { return strings.Compare(a.Record.ExternalID, b.Record.ExternalID) })
		for _, c := range gone {
			keep(c)
			if selected(c) {
				held = append(held, c)
			}
		}
		if stop == nil {
			stop = guard(p, active, popts)
		}
		if stop == nil {
			for _, c := range held {
				if !queue(c) {
					stop = actx.Err()
					break
				}
			}
		}
	}
	if len(chunk) > 0 && actx.Err() == nil {
		select {
		case in <- chunk:
		case <-actx.Done():
		}
	}
	close(in)
	err = <-applied
	if ctx.Err() != nil {
		return p, a.res, ctx.Err()
	}
	return p, a.res, errors.Join(stop, err)
}

// targetView is how Sync reads a target: the records of a batch of
// external IDs, and then the records of the users not in the source
// (whole for the enabled ones; of a disabled one, which is only counted,
// rest may give no more than its external ID).
type targetView struct {
	lookup func(ctx context.Context, ids []string) (map[string]Record, error)
	rest   func(ctx context.Context, inSource func(id string) bool) iter.Seq2[Record, error]
}

// viewOf reads target a batch at a time when it is a SyncBatchLookup,
// and otherwise reads all of it into memory first. A target that held
// nobody of the source when the sync began (a first sync) is not read
// again at the end: nobody can be gone from the source.
func viewOf(ctx context.Context, source string, target SyncTarget) (targetView, error) {
	if bl, ok := target.(SyncBatchLookup); ok {
		empty := true
		for _, err := range target.Synced(ctx, source) {
			if err != nil {
				return targetView{}, fmt.Errorf("directory: reading the target: %w", err)
			}
			empty = false
			break
		}
		if empty {
			return targetView{
				lookup: func(context.Context, []string) (map[string]Record, error) { return nil, nil },
				rest: func(context.Context, func(string) bool) iter.Seq2[Record, error] {
					return func(func(Record, error) bool) {}
				},
			}, nil
		}
		lookup := func(ctx context.Context, ids []string) (map[string]Record, error) {
			found, err := bl.SyncedRecords(ctx, source, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string]Record, len(found))
			for id, sr := range found {
				out[id] = sr.Record
			}
			return out, nil
		}
		if st, ok := target.(*StoreTarget); ok {
			if r, ok := st.store.(userstore.SyncReader); ok {
				return targetView{lookup: lookup, rest: restByStates(source, r, lookup)}, nil
			}
		}
		return targetView{
			lookup: lookup,
			rest: func(ctx context.Context, inSource func(string) bool) iter.Seq2[Record, error] {
				return func(yield func(Record, error) bool) {
					for sr, err := range target.Synced(ctx, source) {
						if err != nil {
							yield(Record{}, err)
							return
						}
						if !inSource(sr.Record.ExternalID) && !yield(sr.Record, nil) {
							return
						}
					}
				}
			},
		}, nil
	}
	have := map[string]Record{}
	for sr, err := range target.Synced(ctx, source) {
		if err != nil {
			return targetView{}, fmt.Errorf("directory: reading the target: %w", err)
		}
		have[sr.Record.ExternalID] = sr.Record
	}
	return targetView{
		lookup: func(_ context.Context, ids []string) (map[string]Record, error) {
			out := make(map[string]Record, len(ids))
			for _, id := range ids {
				if r, ok := have[id]; ok {
					out[id] = r
				}
			}
			return out, nil
		},
		rest: func(_ context.Context, inSource func(string) bool) iter.Seq2[Record, error] {
			return func(yield func(Record, error) bool) {
				for id, r := range have {
					if !inSource(id) && !yield(r, nil) {
						return
					}
				}
			}
		},
	}, nil
}

// restByStates is targetView.rest over a store that streams its users'
// external IDs and states: the users not in the source are found from
// those alone, and only the enabled ones, which are deactivated, are read
// whole, a batch at a time.
func restByStates(source string, r userstore.SyncReader, lookup func(context.Context, []string) (map[string]Record, error)) func(context.Context, func(string) bool) iter.Seq2[Record, error] {
	return func(ctx context.Context, inSource func(string) bool) iter.Seq2[Record, error] {
		return func(yield func(Record, error) bool) {
			var enabled []string
			for st, err := range r.SyncedStates(ctx, source) {
				if err != nil {
					yield(Record{}, err)
					return
				}
				switch {
				case inSource(st.ExternalID):
				case st.Enabled:
					enabled = append(enabled, st.ExternalID)
				case !yield(Record{Source: source, ExternalID: st.ExternalID}, nil):
					return
				}
			}
			for lo := 0; lo < len(enabled); lo += defaultBatchSize {
				ids := enabled[lo:min(lo+defaultBatchSize, len(enabled))]
				have, err := lookup(ctx, ids)
				if err != nil {
					yield(Record{}, err)
					return
				}
				for _, id := range ids {
					// A user deleted meanwhile is left out; one enabled or
					// disabled meanwhile is taken as it is now.
					if old, ok := have[id]; ok && !yield(old, nil) {
						return
					}
				}
			}
		}
	}
}
