package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
)

// cmdLookup reverses an audit identifier: it finds the source's user whose
// identifier it is and prints the user, with what the store holds. A user
// the source no longer has is looked for in the store.
func (a *app) cmdLookup(ctx context.Context, args []string) error {
	fs := a.newFlagSet("lookup", "<identifier>")
	c := a.commonFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, 1, "one identifier"); err != nil {
		return err
	}
	ident := strings.ToLower(strings.TrimSpace(pos[0]))
	s, err := a.open(ctx, c.config, needSource|needStore|needLocal, c.level())
	if err != nil {
		return err
	}
	defer s.close()

	e, err := directory.LookupIdentifier(ctx, s.source, s.cfg.OrgID, ident)
	switch {
	case err == nil:
		fmt.Fprintf(a.stdout, "source %q:\n", s.source.Name())
		printEntry(a, e)
		u, err := s.store.GetUserByExternalID(ctx, s.source.Name(), externalIDOf(e))
		switch {
		case err == nil:
			fmt.Fprintln(a.stdout, "store:")
			printUser(a, u)
		case errors.Is(err, userstore.ErrNotFound):
			fmt.Fprintln(a.stdout, "store: not synced yet")
		default:
			return fmt.Errorf("reading the store: %w", err)
		}
		return nil
	case !errors.Is(err, directory.ErrUnknownIdentifier):
		return err
	}
	// Not in the source: perhaps a user it no longer has.
	for u, err := range s.store.ListUsers(ctx, userstore.ListOptions{}) {
		if err != nil {
			return fmt.Errorf("reading the store: %w", err)
		}
		if u.Email != "" && directory.Identifier(s.cfg.OrgID, u.Email) == ident {
			fmt.Fprintf(a.stdout, "source %q: no such user (gone from the source)\nstore:\n", s.source.Name())
			printUser(a, u)
			return nil
		}
	}
	return fmt.Errorf("identifier %s: no user of source %q or of the store has it (is orgId %q the organization that logged it?)", ident, s.source.Name(), s.cfg.OrgID)
}

// externalIDOf is the key PlanSync gives an entry.
func externalIDOf(e directory.Entry) string {
	r := directory.RecordOf(e)
	if r.ExternalID == "" {
		return r.Username
	}
	return r.ExternalID
}

func printEntry(a *app, e directory.Entry) {
	r := directory.RecordOf(e)
	fmt.Fprintf(a.stdout, "  corporate e-mail: %s\n  username:         %s\n  full name:        %s\n  personal e-mail:  %s\n  phone:            %s\n  groups:           %s\n  roles:            %s\n  enabled:          %t\n  external ID:      %s\n",
		r.CorporateEmail, r.Username, r.FullName, r.PersonalEmail, r.Phone,
		strings.Join(r.Groups, ","), strings.Join(r.Roles, ","), r.Enabled, externalIDOf(e))
}

func printUser(a *app, u userstore.User) {
	fmt.Fprintf(a.stdout, "  id:               %s\n  username:         %s\n  e-mail:           %s (verified: %t)\n  enabled:          %t\n  groups:           %s\n  source:           %s\n",
		u.ID, u.Username, u.Email, u.EmailVerified, u.Enabled, strings.Join(u.Groups, ","), u.Source)
}
