package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
)

// cmdGroup runs "group list" and "group attach".
func (a *app) cmdGroup(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: group list | group attach <groups> <emails>")
	}
	switch args[0] {
	case "list":
		return a.groupList(ctx, args[1:])
	case "attach":
		return a.groupAttach(ctx, args[1:])
	}
	return usagef("unknown subcommand %q (want list or attach)", args[0])
}

func (a *app) groupList(ctx context.Context, args []string) error {
	fs := a.newFlagSet("group list", "")
	c := a.commonFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 0, "no arguments"); err != nil {
		return err
	}
	s, err := a.open(ctx, c.config, needStore|needLocal, c.level())
	if err != nil {
		return err
	}
	defer s.close()
	n := 0
	for g, err := range s.store.ListGroups(ctx) {
		if err != nil {
			return fmt.Errorf("reading the store's groups: %w", err)
		}
		members := 0
		for _, err := range s.store.ListMembers(ctx, g.Name) {
			if err != nil {
				return fmt.Errorf("reading the members of group %q: %w", g.Name, err)
			}
			members++
		}
		fmt.Fprintf(a.stdout, "%s\t%d members\n", g.Name, members)
		n++
	}
	if n == 0 {
		fmt.Fprintln(a.stdout, "no groups")
	}
	return nil
}

// attachWarning is the seed's warning: attach sets, it does not add.
const attachWarning = "warning: group attach REPLACES each user's whole group list with the groups given; it does not append. " +
	"To add a group, list the user's current groups too. A later sync sets the groups of synced users back to the source's."

// groupAttach makes groups the whole group list of each user named by
// e-mail. Every e-mail is resolved before anything is written, so a bad
// one changes nothing.
func (a *app) groupAttach(ctx context.Context, args []string) error {
	fs := a.newFlagSet("group attach", "<groups> <emails>  (each a comma-separated list; \"\" for no groups)")
	c := a.commonFlags(fs)
	dryRun := fs.Bool("dry-run", false, "print what would be set and change nothing")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 2, 2, "<groups> <emails>"); err != nil {
		return err
	}
	groups, emails := splitList(pos[0]), splitList(pos[1])
	if len(emails) == 0 {
		return usagef("no e-mail given")
	}
	s, err := a.open(ctx, c.config, needStore|needLocal, c.level())
	if err != nil {
		return err
	}
	defer s.close()
	fmt.Fprintln(a.stderr, attachWarning)

	users := make([]userstore.User, 0, len(emails))
	var problems []string
	for _, e := range emails {
		id := directory.Identifier(s.cfg.OrgID, e)
		found, err := s.store.FindUsersByEmail(ctx, e, 2)
		switch {
		case err != nil:
			return fmt.Errorf("user %s: %w", id, err)
		case len(found) == 0:
			problems = append(problems, fmt.Sprintf("user %s (%s): no user in the store has that e-mail", id, e))
		case len(found) > 1:
			problems = append(problems, fmt.Sprintf("user %s (%s): more than one user has that e-mail", id, e))
		default:
			users = append(users, found[0])
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("nothing was changed:\n  %s", strings.Join(problems, "\n  "))
	}
	for _, u := range users {
		id := directory.Identifier(s.cfg.OrgID, u.Email)
		before := strings.Join(u.Groups, ",")
		after := strings.Join(sortedGroups(groups), ",")
		if *dryRun {
			fmt.Fprintf(a.stdout, "would set user %s groups: [%s] -> [%s]\n", id, before, after)
			continue
		}
		if err := s.store.SetUserGroups(ctx, u.ID, groups); err != nil {
			return fmt.Errorf("user %s: setting groups: %w", id, err)
		}
		fmt.Fprintf(a.stdout, "user %s groups: [%s] -> [%s]\n", id, before, after)
	}
	if *dryRun {
		fmt.Fprintln(a.stdout, "dry run: nothing was changed")
	}
	return nil
}

func sortedGroups(g []string) []string {
	g = slices.Clone(g)
	slices.Sort(g)
	return slices.Compact(g)
}
