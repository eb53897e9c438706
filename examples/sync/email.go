package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
)

// Defaults of the welcome mail.
const (
	defaultWelcomeSubject = "Welcome"
	defaultWelcomeText    = "Hello {name},\n\nyour account {username} is ready. Sign in with your corporate e-mail address.\n"
)

// cmdEmail runs "email resend [email]".
func (a *app) cmdEmail(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "resend" {
		return usagef("want: email resend [email]")
	}
	fs := a.newFlagSet("email resend", "[email]")
	c := a.commonFlags(fs)
	dryRun := fs.Bool("dry-run", false, "list who would get the mail and send nothing")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 1, "at most one e-mail"); err != nil {
		return err
	}
	s, err := a.open(ctx, c.config, needStore|needLocal, c.level())
	if err != nil {
		return err
	}
	defer s.close()

	var to []userstore.User
	if len(pos) == 1 {
		id := directory.Identifier(s.cfg.OrgID, pos[0])
		found, err := s.store.FindUsersByEmail(ctx, pos[0], 2)
		switch {
		case err != nil:
			return fmt.Errorf("user %s: %w", id, err)
		case len(found) == 0:
			return fmt.Errorf("user %s: no user in the store has that e-mail", id)
		case len(found) > 1:
			return fmt.Errorf("user %s: more than one user has that e-mail", id)
		case !found[0].Enabled:
			return fmt.Errorf("user %s is disabled; nothing sent", id)
		case found[0].EmailVerified:
			fmt.Fprintf(a.stdout, "user %s has verified the e-mail already; nothing sent\n", id)
			return nil
		}
		to = found
	} else {
		enabled := true
		for u, err := range s.store.ListUsers(ctx, userstore.ListOptions{Enabled: &enabled}) {
			if err != nil {
				return fmt.Errorf("reading the store: %w", err)
			}
			if !u.EmailVerified && u.Email != "" {
				to = append(to, u)
			}
		}
	}
	if *dryRun {
		for _, u := range to {
			fmt.Fprintf(a.stdout, "would send to user %s\n", directory.Identifier(s.cfg.OrgID, u.Email))
		}
		fmt.Fprintf(a.stdout, "dry run: %d welcome mail(s) would be sent; nothing was sent\n", len(to))
		return nil
	}
	if len(to) == 0 {
		fmt.Fprintln(a.stdout, "no unverified users; nothing sent")
		return nil
	}
	if len(s.cfg.Mail) == 0 {
		return fmt.Errorf("setting %q is missing: add an SMTP or M365 mail configuration to %s", "mail", c.config)
	}
	sender, err := a.newSender(s.cfg.Mail)
	if err != nil {
		return fmt.Errorf("setting %q: %w", "mail", err)
	}
	p := a.progress("email resend")
	failed := 0
	for i, u := range to {
		id := directory.Identifier(s.cfg.OrgID, u.Email)
		if err := sender.Send(ctx, welcome(s.cfg.Welcome, u)); err != nil {
			if ctx.Err() != nil {
				p.finish()
				return ctx.Err()
			}
			p.finish()
			fmt.Fprintf(a.stderr, "  user %s: %v\n", id, err)
			failed++
		}
		p.update(i+1, len(to))
	}
	p.finish()
	fmt.Fprintf(a.stdout, "sent %d welcome mail(s)\n", len(to)-failed)
	if failed > 0 {
		return fmt.Errorf("%d mail(s) failed (users named above by identifier)", failed)
	}
	return nil
}

// welcome builds the welcome mail for u.
func welcome(cfg WelcomeConfig, u userstore.User) mail.Message {
	subject, text := cfg.Subject, cfg.Text
	if subject == "" {
		subject = defaultWelcomeSubject
	}
	if text == "" {
		text = defaultWelcomeText
	}
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	text = strings.NewReplacer("{name}", name, "{username}", u.Username).Replace(text)
	return mail.Message{To: []string{u.Email}, Subject: subject, Text: text}
}
