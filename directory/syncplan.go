package directory

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
)

// SyncKind says what a sync does to one user.
type SyncKind string

// The kinds of sync change. Users are never deleted by a sync: a user gone
// from the source is deactivated.
const (
	SyncAdd        SyncKind = "add"
	SyncUpdate     SyncKind = "update"     // fields other than enabled and groups differ
	SyncActivate   SyncKind = "activate"   // enabled again in the source
	SyncDeactivate SyncKind = "deactivate" // disabled in, or gone from, the source
	SyncGroups     SyncKind = "groups"     // only the groups differ
	SyncUnchanged  SyncKind = "unchanged"
)

// SyncChange is one user's change in a plan.
type SyncChange struct {
	Kind SyncKind
	// Record is what the target will hold afterwards.
	Record Record
	// Before is what the target holds now (zero for SyncAdd).
	Before Record
	// Fields names the record fields that differ (JSON names), sorted.
	Fields []string
	// Gone is set on a deactivation of a user the source no longer has.
	Gone bool
}

// SyncedRecord is a record a target holds, with its signature.
type SyncedRecord struct {
	Record    Record
	Signature string
}

// SyncTarget is where a sync writes: the local user store (StoreTarget),
// or a remote Usher server's sync API. Implementations are safe for
// concurrent use.
type SyncTarget interface {
	// Synced streams the records the target holds for a source.
	Synced(ctx context.Context, source string) iter.Seq2[SyncedRecord, error]
	// ApplySync carries out one change whose Record is signed by sig. It
	// verifies the signature before writing and refuses (an error wrapping
	// ErrBadSignature) a record that does not match it. Applying the same
	// change twice has the effect of applying it once.
	ApplySync(ctx context.Context, ch SyncChange, sig string) error
}

// SyncBatchLookup is an optional SyncTarget capability: read the records
// the target holds for many of a source's users at once. Sync compares
// the source with the target through it a batch at a time instead of
// reading the whole target first, and AutoSync looks up a step's changes
// through it. StoreTarget implements it.
type SyncBatchLookup interface {
	// SyncedRecords returns the records of those of source's users whose
	// external IDs are given, keyed by external ID; IDs the target does
	// not hold are left out.
	SyncedRecords(ctx context.Context, source string, externalIDs []string) (map[string]SyncedRecord, error)
}

// ErrSyncGuard means a plan would deactivate too many users — the source
// returned none, or more than PlanOptions.MaxDeactivateShare of them would
// go — which is what a broken filter or an outage looks like. Set
// PlanOptions.Force to carry it out anyway.
var ErrSyncGuard = errors.New("directory: sync guard")

// PlanOptions tune Plan.
type PlanOptions struct {
	// MaxDeactivateShare is the largest share (0..1] of the target's active
	// users of the source that one sync may deactivate. Default (0) 0.2; a
	// negative value lets no deactivation pass without Force.
	MaxDeactivateShare float64
	// Force overrides the guard.
	Force bool
}

// Plan is the set of changes a sync would make, in a stable order. A plan
// returned by Sync holds only some of them in Changes (see Sync); Count
// counts them all.
type Plan struct {
	Source  string
	Changes []SyncChange
	// Skipped are the source's entries the sync left out (no corporate
	// e-mail, no username, a field over its limit), in source order; their
	// users in the target are kept as they are.
	Skipped []Skipped
	// SourceUsers and TargetUsers count what each side had.
	SourceUsers, TargetUsers int
	// counted counts, by kind, the changes left out of Changes (Sync
	// keeps only the deactivations and what ApplyOptions.Only selects).
	counted map[SyncKind]int
}

// count counts a change that is not kept in Changes.
func (p *Plan) count(k SyncKind) {
	if p.counted == nil {
		p.counted = map[SyncKind]int{}
	}
	p.counted[k]++
}

// Count returns the number of changes of a kind, including those a plan
// of Sync counted without keeping them.
func (p *Plan) Count(k SyncKind) int {
	n := p.counted[k]
	for _, c := range p.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Pending returns the changes that write something.
func (p *Plan) Pending() []SyncChange {
	var out []SyncChange
	for _, c := range p.Changes {
		if c.Kind != SyncUnchanged {
			out = append(out, c)
		}
	}
	return out
}

// PlanSync compares the users of src with what target holds for it and
// returns the changes that would make them equal. It reads src once and
// the target once; entries are keyed by ExternalID (the username when a
// source has none). An entry without either is an error naming it.
func PlanSync(ctx context.Context, src Source, target SyncTarget, opts PlanOptions) (*Plan, error) {
	want := map[string]Record{}
	var order []string
	var skipped []Skipped
	kept := map[string]bool{} // skipped entries' IDs: their users are kept
	for e, err := range src.Users(ctx) {
		if err != nil {
			return nil, fmt.Errorf("directory: reading source %q: %w", src.Name(), err)
		}
		r, err := sourceRecord(src.Name(), e)
		if err != nil {
			return nil, err
		}
		if _, dup := want[r.ExternalID]; dup || kept[r.ExternalID] {
			return nil, fmt.Errorf("directory: source %q: two entries have the external ID %q", src.Name(), skippedOf(r, "").ExternalID)
		}
		if reason := skipReason(r); reason != "" {
			skipped, kept[r.ExternalID] = append(skipped, skippedOf(r, reason)), true
			continue
		}
		want[r.ExternalID] = r
		order = append(order, r.ExternalID)
	}
	have := map[string]Record{}
	for sr, err := range target.Synced(ctx, src.Name()) {
		if err != nil {
			return nil, fmt.Errorf("directory: reading the target: %w", err)
		}
		have[sr.Record.ExternalID] = sr.Record
	}
	return planFrom(src.Name(), want, order, have, skipped, kept, opts)
}

func planFrom(source string, want map[string]Record, order []string, have map[string]Record, skipped []Skipped, kept map[string]bool, opts PlanOptions) (*Plan, error) {
	p := &Plan{Source: source, SourceUsers: len(want) + len(skipped), TargetUsers: len(have), Skipped: skipped}
	for _, id := range order {
		r := want[id]
		old, ok := have[id]
		if !ok {
			p.Changes = append(p.Changes, SyncChange{Kind: SyncAdd, Record: r, Fields: diffFields(Record{}, r)})
			continue
		}
		p.Changes = append(p.Changes, changeOf(old, r))
	}
	p.Changes = append(p.Changes, goneChanges(have, func(id string) bool { _, ok := want[id]; return ok || kept[id] })...)
	active := 0
	for _, r := range have {
		if r.Enabled {
			active++
		}
	}
	return p, guard(p, active, opts)
}

// sourceRecord is the record of a source's entry, keyed by its external
// ID or, for sources without one, its username. The record is returned
// even with the error that says it has neither.
func sourceRecord(source string, e Entry) (Record, error) {
	e.Source = source
	r := RecordOf(e)
	if r.ExternalID == "" {
		r.ExternalID = r.Username
	}
	if r.ExternalID == "" {
		return r, fmt.Errorf("directory: source %q: an entry (DN %q) has neither an external ID nor a username", source, e.DN)
	}
	return r, nil
}

// goneChanges returns, in external-ID order, the deactivations of the
// active users the target holds that the source no longer has.
func goneChanges(have map[string]Record, inSource func(externalID string) bool) []SyncChange {
	var gone []string
	for id, old := range have {
		if old.Enabled && !inSource(id) {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	out := make([]SyncChange, 0, len(gone))
	for _, id := range gone {
		old := have[id]
		r := old
		r.Enabled = false
		out = append(out, SyncChange{Kind: SyncDeactivate, Record: r, Before: old, Fields: []string{"enabled"}, Gone: true})
	}
	return out
}

// changeOf classifies the change from old to r.
func changeOf(old, r Record) SyncChange {
	fields := diffFields(old, r)
	c := SyncChange{Record: r, Before: old, Fields: fields}
	switch {
	case len(fields) == 0:
		c.Kind = SyncUnchanged
	case old.Enabled && !r.Enabled:
		c.Kind = SyncDeactivate
	case !old.Enabled && r.Enabled:
		c.Kind = SyncActivate
	case slices.Equal(fields, []string{"groups"}):
		c.Kind = SyncGroups
	default:
		c.Kind = SyncUpdate
	}
	return c
}

// diffFields names the fields in which a and b differ.
func diffFields(a, b Record) []string {
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("corporateEmail", a.CorporateEmail != b.CorporateEmail)
	add("enabled", a.Enabled != b.Enabled)
	add("fullName", a.FullName != b.FullName)
	add("groups", !slices.Equal(canonicalView(a.Groups), canonicalView(b.Groups)))
	add("personalEmail", a.PersonalEmail != b.PersonalEmail)
	add("phone", a.Phone != b.Phone)
	add("roles", !slices.Equal(canonicalView(a.Roles), canonicalView(b.Roles)))
	add("username", a.Username != b.Username)
	return f
}

// guard refuses plans that deactivate too much of the target's active
// users.
func guard(p *Plan, active int, opts PlanOptions) error {
	if opts.Force {
		return nil
	}
	deact := p.Count(SyncDeactivate)
	if deact == 0 {
		return nil
	}
	if p.SourceUsers == 0 {
		return fmt.Errorf("%w: source %q returned no users; deactivating all %d would follow", ErrSyncGuard, p.Source, deact)
	}
	share := opts.MaxDeactivateShare
	switch {
	case share < 0:
		return fmt.Errorf("%w: %d users of source %q would be deactivated, and no deactivation is allowed without forcing it",
			ErrSyncGuard, deact, p.Source)
	case share == 0 || share > 1:
		share = 0.2
	}
	if float64(deact) > share*float64(active) {
		return fmt.Errorf("%w: %d of %d active users of source %q would be deactivated, more than %.0f%%",
			ErrSyncGuard, deact, active, p.Source, share*100)
	}
	return nil
}
