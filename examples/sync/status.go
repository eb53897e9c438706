package main

import (
	"context"
	"fmt"

	"github.com/usher-sdk/usher/userstore"
)

// cmdStatus prints what a sync would do, by kind, and the store's totals.
func (a *app) cmdStatus(ctx context.Context, args []string) error {
	fs := a.newFlagSet("status", "")
	c := a.commonFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 0, "no arguments"); err != nil {
		return err
	}
	s, err := a.open(ctx, c.config, needSource|needVerifier|needLocal, c.level())
	if err != nil {
		return err
	}
	defer s.close()
	plan, guardErr, err := s.plan(ctx, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "source %q: %d users; the store holds %d users synced from it\n", plan.Source, plan.SourceUsers, plan.TargetUsers)
	fmt.Fprintln(a.stdout, "a sync would:")
	for _, k := range kindOrder {
		fmt.Fprintf(a.stdout, "  %-10s %d\n", k, plan.Count(k))
	}
	if n := len(plan.Skipped); n > 0 {
		fmt.Fprintf(a.stdout, "  %-10s %d (no corporate e-mail, no sign-in name, or a field over its limit)\n", "skip", n)
	}
	if guardErr != nil {
		fmt.Fprintf(a.stdout, "warning: %v\n", guardErr)
	}
	t, err := storeTotals(ctx, s.store)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "store: %d users (%d enabled, %d disabled, %d unverified e-mail, %d from any source), %d groups\n",
		t.users, t.enabled, t.users-t.enabled, t.unverified, t.synced, t.groups)
	return nil
}

type totals struct{ users, enabled, unverified, synced, groups int }

// storeTotals counts the store's users and groups, reading page by page.
func storeTotals(ctx context.Context, st userstore.Store) (totals, error) {
	var t totals
	for u, err := range st.ListUsers(ctx, userstore.ListOptions{}) {
		if err != nil {
			return t, fmt.Errorf("reading the store: %w", err)
		}
		t.users++
		if u.Enabled {
			t.enabled++
		}
		if !u.EmailVerified {
			t.unverified++
		}
		if u.ExternalID != "" {
			t.synced++
		}
	}
	for _, err := range st.ListGroups(ctx) {
		if err != nil {
			return t, fmt.Errorf("reading the store's groups: %w", err)
		}
		t.groups++
	}
	return t, nil
}
