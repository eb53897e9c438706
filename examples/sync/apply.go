package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// kindOrder is the order in which plans and summaries list kinds.
var kindOrder = []directory.SyncKind{
	directory.SyncAdd, directory.SyncUpdate, directory.SyncGroups,
	directory.SyncActivate, directory.SyncDeactivate, directory.SyncUnchanged,
}

func (a *app) cmdSync(ctx context.Context, args []string) error {
	return a.applyVerb(ctx, "sync", args, nil)
}

func (a *app) cmdAdd(ctx context.Context, args []string) error {
	return a.applyVerb(ctx, "add", args, []directory.SyncKind{directory.SyncAdd})
}

func (a *app) cmdUpdate(ctx context.Context, args []string) error {
	return a.applyVerb(ctx, "update", args, []directory.SyncKind{directory.SyncUpdate, directory.SyncGroups})
}

func (a *app) cmdActivate(ctx context.Context, args []string) error {
	return a.applyVerb(ctx, "activate", args, []directory.SyncKind{directory.SyncActivate})
}

func (a *app) cmdDeactivate(ctx context.Context, args []string) error {
	return a.applyVerb(ctx, "deactivate", args, []directory.SyncKind{directory.SyncDeactivate})
}

// applyVerb plans a sync and carries out the changes of kinds (all when
// nil), for every user or for the one whose corporate e-mail is given.
func (a *app) applyVerb(ctx context.Context, name string, args []string, kinds []directory.SyncKind) error {
	fs := a.newFlagSet(name, "[email]")
	c := a.commonFlags(fs)
	dryRun := fs.Bool("dry-run", false, "print the plan and change nothing")
	force := fs.Bool("force", false, "carry out a plan that the deactivation guard refuses")
	showEmails := fs.Bool("show-emails", false, "print users' e-mails beside their identifiers")
	batchSize := fs.Int("batch-size", 0, "changes written per transaction (default 1000)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 1, "at most one e-mail"); err != nil {
		return err
	}
	s, err := a.open(ctx, c.config, needSource|needSigner, c.level())
	if err != nil {
		return err
	}
	defer s.close()

	var only func(directory.Record) bool
	var email string
	if len(pos) == 1 {
		email = directory.NormalizeEmail(pos[0])
		only = func(r directory.Record) bool { return r.CorporateEmail == email }
	}
	if *dryRun {
		return a.dryRun(ctx, s, name, kinds, email, only, *force, *showEmails)
	}

	// Plan and apply in one pass (directory.Sync): changes are written
	// while the source is still being read; deactivations wait for the
	// guard, which a named user passes.
	p := a.progress(name)
	p.growing = true
	plan, res, err := directory.Sync(ctx, s.source, s.target, s.signer,
		directory.PlanOptions{MaxDeactivateShare: s.cfg.Sync.planShare(), Force: *force || email != ""},
		directory.ApplyOptions{OrgID: s.cfg.OrgID, Kinds: kinds, Only: only, Progress: p.update, Logger: s.log, BatchSize: *batchSize})
	p.finish()
	deactivating := plan != nil && slices.ContainsFunc(selectChanges(plan.Changes, kinds, only), isDeactivation)
	if errors.Is(err, directory.ErrSyncGuard) && !deactivating && ctx.Err() == nil {
		err = nil // the guard holds back deactivations only, and none were asked for
	}
	if res != nil && (len(res.Applied) > 0 || len(res.Failed) > 0) {
		fmt.Fprintf(a.stdout, "done: %s\n", summary(res.Applied))
	}
	if plan != nil {
		a.printSkipped(plan.Skipped)
	}
	if res != nil {
		for _, f := range res.Failed {
			fmt.Fprintf(a.stderr, "  %s of user %s: %v\n", f.Change.Kind, f.Identifier, f.Err)
		}
	}
	switch {
	case errors.Is(err, directory.ErrSyncGuard):
		held := "no user was deactivated"
		if len(kinds) != 1 {
			held += "; the other changes were carried out"
		}
		return fmt.Errorf("%w\n%s: check the source's settings and reachability, or run again with --force", err, held)
	case err != nil && transient(err):
		return fmt.Errorf("stopped: %w (run again to finish; every change is idempotent)", err)
	case err != nil:
		return fmt.Errorf("stopped: %w", err)
	case len(res.Failed) > 0:
		return fmt.Errorf("%d change(s) failed (users named above by identifier; usher-sync lookup <identifier> names them)", len(res.Failed))
	case len(res.Applied) > 0:
		return nil
	case email != "":
		return a.nothingFor(plan, s.cfg.OrgID, name, email, only)
	}
	fmt.Fprintf(a.stdout, "nothing to %s\n", name)
	return nil
}

// nothingFor explains why nothing was done for the user named by email:
// no change of the verb's kinds, or no such user on either side.
func (a *app) nothingFor(plan *directory.Plan, orgID, name, email string, only func(directory.Record) bool) error {
	id := directory.Identifier(orgID, email)
	if !slices.ContainsFunc(plan.Changes, func(c directory.SyncChange) bool { return only(c.Record) }) {
		return fmt.Errorf("user %s: no user with that corporate e-mail in source %q or the store", id, plan.Source)
	}
	fmt.Fprintf(a.stdout, "user %s: nothing to %s\n", id, name)
	return nil
}

// dryRun prints what a verb would do and changes nothing. When the guard
// would refuse the deactivations asked for, it says so and fails, as the
// real run would.
func (a *app) dryRun(ctx context.Context, s *session, name string, kinds []directory.SyncKind, email string, only func(directory.Record) bool, force, showEmails bool) error {
	if a.interactive {
		fmt.Fprintf(a.stdout, "reading source %q and the store...", s.source.Name())
	}
	plan, guardErr, err := s.plan(ctx, force)
	if a.interactive {
		fmt.Fprint(a.stdout, "\r\033[K") // clear the line
	}
	if err != nil {
		return err
	}
	todo := selectChanges(plan.Changes, kinds, only)
	if email != "" && len(todo) == 0 {
		return a.nothingFor(plan, s.cfg.OrgID, name, email, only)
	}
	printPlan(a.stdout, todo, s.cfg.OrgID, showEmails)
	a.printSkipped(plan.Skipped)
	if guardErr != nil && email == "" && slices.ContainsFunc(todo, isDeactivation) {
		return fmt.Errorf("%w\na real run would deactivate no one: check the source's settings and reachability, or run again with --force", guardErr)
	}
	fmt.Fprintf(a.stdout, "dry run: would %s; nothing was changed\n", summary(countKinds(todo)))
	return nil
}

// plan plans a sync of s. A plan that the guard refuses is returned with
// the guard's error, so that callers can show it.
func (s *session) plan(ctx context.Context, force bool) (*directory.Plan, error, error) {
	plan, err := directory.PlanSync(ctx, s.source, s.target, directory.PlanOptions{
		MaxDeactivateShare: s.cfg.Sync.planShare(), Force: force,
	})
	if errors.Is(err, directory.ErrSyncGuard) && plan != nil {
		return plan, err, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return plan, nil, nil
}

func isDeactivation(c directory.SyncChange) bool { return c.Kind == directory.SyncDeactivate }

// selectChanges returns the pending changes of kinds (all when empty) for
// which only (when set) holds, as ApplySync selects them.
func selectChanges(all []directory.SyncChange, kinds []directory.SyncKind, only func(directory.Record) bool) []directory.SyncChange {
	var out []directory.SyncChange
	for _, c := range all {
		if c.Kind == directory.SyncUnchanged {
			continue
		}
		if len(kinds) > 0 && !slices.Contains(kinds, c.Kind) {
			continue
		}
		if only != nil && !only(c.Record) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func countKinds(changes []directory.SyncChange) map[directory.SyncKind]int {
	m := map[directory.SyncKind]int{}
	for _, c := range changes {
		m[c.Kind]++
	}
	return m
}

// summary says "add 2, deactivate 1", or "change nothing".
func summary(counts map[directory.SyncKind]int) string {
	var parts []string
	for _, k := range kindOrder {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "change nothing"
	}
	return strings.Join(parts, ", ")
}

// printPlan writes one line per change: kind, identifier, the fields that
// change, and with showEmails the corporate e-mail.
func printPlan(w io.Writer, changes []directory.SyncChange, orgID string, showEmails bool) {
	for _, c := range changes {
		line := fmt.Sprintf("%-10s %s", c.Kind, directory.Identifier(orgID, c.Record.CorporateEmail))
		if showEmails {
			line += " " + c.Record.CorporateEmail
		}
		switch {
		case c.Gone:
			line += " (gone from the source)"
		case c.Kind != directory.SyncAdd && len(c.Fields) > 0:
			line += " fields: " + strings.Join(c.Fields, ",")
		}
		fmt.Fprintln(w, line)
	}
}

// transient reports whether running the verb again, unchanged, may get
// past err: the source or the store could not be reached, or timed out, or
// the run was interrupted. A refused service bind, a malformed file or a
// bad setting needs a fix first, and is not told to run again.
func transient(err error) bool {
	switch {
	case goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials):
		return false
	case errors.Is(err, directory.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// printSkipped says which source entries a sync left out, and why: the
// first ten by external ID, then how many more.
func (a *app) printSkipped(skipped []directory.Skipped) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "skipped %d source entr%s the store cannot take (their users, if any, are kept as they are):\n",
		len(skipped), map[bool]string{true: "y", false: "ies"}[len(skipped) == 1])
	for i, s := range skipped {
		if i == 10 {
			fmt.Fprintf(a.stderr, "  ... and %d more\n", len(skipped)-10)
			break
		}
		fmt.Fprintf(a.stderr, "  entry %q: %s\n", s.ExternalID, s.Reason)
	}
}
