package userstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore/mail"
)

// MailTemplate is the text of an e-mail the Service sends. Subject and Body
// are plain text with two kinds of marks:
//
//   - [[label]] is replaced by the label's text in the mail's culture:
//     Labels["de-CH"]["label"] if present, else Labels["de"]["label"], else
//     the default Labels[""]["label"] (the key "default" means "" too), else
//     the label's name itself. Culture names are matched without regard to
//     case, and "_" is read as "-". A label name is 1 to 64 ASCII letters,
//     digits, '_', '-' or '.'; a label's text may hold placeholders but no
//     labels.
//   - {{.Field}} is replaced by a value of the user or the event; each mail
//     lists its fields. An unknown field is a configuration error.
//
// "[[" and "{{" always start a mark; a malformed or unterminated mark is a
// configuration error reported by NewService. Values are inserted once and
// never expanded again; line breaks in the subject become spaces. Empty
// Subject or Body take the mail's default text.
type MailTemplate struct {
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
	// Labels maps a culture ("de-CH", "de", "" for the default) to label
	// names and their texts.
	Labels map[string]map[string]string `json:"labels,omitempty"`
}

// LockNotification configures the e-mail sent when an account locks. It
// is sent once per lock-out, in the background, to Recipients (not to the
// user). Fields: UserID, Username, DisplayName, GivenName, FamilyName,
// Email, Phone, Login (as typed), Remote, Time, FailedLogins, LockedUntil
// (times in RFC 3339, UTC).
type LockNotification struct {
	// Enabled turns the notification on; it then needs Recipients and a
	// mail sender (WithMailSender). Default false.
	Enabled bool `json:"enabled,omitempty"`
	// Recipients are e-mail addresses separated by semicolons:
	// "helpdesk@example.com; security@example.com".
	Recipients string `json:"recipients,omitempty"`
	// Culture picks the labels' language, e.g. "de-CH". Default: the
	// default labels.
	Culture string `json:"culture,omitempty"`
	MailTemplate
}

// ResetMail configures the e-mail of RequestPasswordReset, sent to the
// user's address. Fields: those of LockNotification except FailedLogins and
// LockedUntil, plus Link (the reset link) and ExpiresAt. The culture is the
// request's.
type ResetMail struct {
	// LinkURL is the page that accepts a reset token, an absolute http or
	// https URL; the token is added as the query parameter "token". It is
	// required for RequestPasswordReset.
	LinkURL string `json:"linkURL,omitempty"`
	MailTemplate
}

// Placeholder fields of the two mails.
var (
	userFields  = []string{"UserID", "Username", "DisplayName", "GivenName", "FamilyName", "Email", "Phone", "Login", "Remote", "Time"}
	lockFields  = append(userFields[:len(userFields):len(userFields)], "FailedLogins", "LockedUntil")
	resetFields = append(userFields[:len(userFields):len(userFields)], "Link", "ExpiresAt")
)

// Default texts, used for an empty Subject or Body. They use labels, so a
// deployment can translate them by giving Labels only.
var (
	defaultLockTemplate = MailTemplate{
		Subject: "[[lock.subject]] {{.Username}}",
		Body: "[[lock.intro]]\n\n" +
			"[[username]]: {{.Username}}\n[[name]]: {{.DisplayName}}\n" +
			"[[failedLogins]]: {{.FailedLogins}}\n[[lockedUntil]]: {{.LockedUntil}}\n" +
			"[[remote]]: {{.Remote}}\n[[time]]: {{.Time}}\n",
	}
	defaultResetTemplate = MailTemplate{
		Subject: "[[reset.subject]]",
		Body: "[[reset.intro]]\n\n{{.Link}}\n\n" +
			"[[reset.expires]] {{.ExpiresAt}}\n\n[[reset.ignore]]\n",
	}
	// defaultLabels are the English texts of the labels of the default
	// templates, used when the configuration has none of that name.
	defaultLabels = map[string]string{
		"lock.subject":  "Account locked:",
		"lock.intro":    "A user account was locked after too many wrong passwords.",
		"username":      "Username",
		"name":          "Name",
		"failedLogins":  "Wrong passwords",
		"lockedUntil":   "Locked until",
		"remote":        "From",
		"time":          "Time",
		"reset.subject": "Reset your password",
		"reset.intro":   "Someone asked to reset the password of your account. To choose a new password, open this link:",
		"reset.expires": "The link can be used once and expires at",
		"reset.ignore":  "If you did not ask for this, ignore this e-mail; your password stays as it is.",
	}
)

// parseRecipients splits "a@x; b@y" into bare addresses, checking each.
func parseRecipients(s string) ([]string, error) {
	var out []string
	var errs []error
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if err := validateEmail(part); err != nil {
			errs = append(errs, fmt.Errorf("userstore: config LockNotification.Recipients: entry %d %q is not a valid address", i+1, part))
			continue
		}
		out = append(out, part)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("userstore: config LockNotification.Recipients: no address (separate several with ';')"))
	}
	return out, errors.Join(errs...)
}

// mailFields returns the placeholder values common to every mail.
func mailFields(u User, login, remote string, now time.Time) map[string]string {
	return map[string]string{
		"UserID":      u.ID,
		"Username":    u.Username,
		"DisplayName": u.DisplayName,
		"GivenName":   u.GivenName,
		"FamilyName":  u.FamilyName,
		"Email":       u.Email,
		"Phone":       u.Phone,
		"Login":       login,
		"Remote":      remote,
		"Time":        now.UTC().Format(time.RFC3339),
	}
}

// withDefaultLabels adds the default English labels to the default culture
// of lt where the configuration left them out.
func (lt *localizedText) withDefaultLabels() *localizedText {
	if lt.labels[""] == nil {
		lt.labels[""] = map[string]mailText{}
	}
	for name, text := range defaultLabels {
		if _, ok := lt.labels[""][name]; !ok {
			t, _ := parseMailText(text) // constant, known to parse
			lt.labels[""][name] = t
		}
	}
	return lt
}

// notifyLocked sends the lock notification in the background.
func (s *Service) notifyLocked(ctx context.Context, u User, st LoginState, login, remote string, now time.Time) {
	if s.lockMail == nil {
		return
	}
	fields := mailFields(u, login, remote, now)
	fields["FailedLogins"] = strconv.Itoa(st.FailedLogins)
	fields["LockedUntil"] = st.LockedUntil.UTC().Format(time.RFC3339)
	subject, body := s.lockMail.render(s.cfg.LockNotification.Culture, fields)
	m := mail.Message{To: s.lockTo, Subject: subject, Text: body}
	_ = s.background(ctx, func(ctx context.Context) { // not sent when the Service is closed or ctx ends
		if err := s.mail.Send(ctx, m); err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "userstore: lock notification not sent",
				slog.String("user_id", u.ID), slog.Any("err", err))
		}
	})
}
