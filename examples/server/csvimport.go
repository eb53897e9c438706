package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/userstore"
)

// maxImportBytes caps one CSV import (the API's and the page's).
const maxImportBytes = 16 << 20

// importResult says what an import did, user by user where it failed.
type importResult struct {
	Format    string         `json:"format"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Failed    []importFailed `json:"failed"`
	// Skipped are the bad rows of a file imported with skipBadRows.
	Skipped []importFailed `json:"skipped"`
}

// importFailed is one row or user an import could not take.
type importFailed struct {
	Line     int    `json:"line,omitempty"`
	Username string `json:"username,omitempty"`
	Reason   string `json:"reason"`
}

// clip keeps a reason short: a row's reason may quote a whole cell.
func clip(s string) string {
	const n = 300
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// errImport is a file the CSV reader refused as a whole.
var errImport = errors.New("import")

// importCSV reads a CSV file — the Notakey format (Username, Full name,
// Email, Phone, Password, Teams, Enabled) or the PureSync template (Full
// Name, Personal Email, Corporate Email, Phone Number, groups, roles; the
// corporate e-mail is the username) — and writes each user: an existing
// username is updated, a new one created; Teams (groups) become the
// user's whole group list. A file with a bad row imports nothing unless
// skipBadRows is set. Plain-text passwords are hashed; a cell holding a
// known hash is kept. Users fail one by one, never the whole import.
func (a *app) importCSV(ctx context.Context, in io.Reader, format csv.Format, skipBadRows bool) (importResult, error) {
	res, err := csv.Read(ctx, in, csv.Config{Name: "csv-import", Format: format, SkipBadRows: skipBadRows, MaxBytes: maxImportBytes}, csv.WithHasher(a.hashers))
	if err != nil {
		var ie *csv.ImportError
		if errors.As(err, &ie) || errors.Is(err, csv.ErrTooLarge) {
			return importResult{}, fmt.Errorf("%w: %s", errImport, clip(err.Error()))
		}
		return importResult{}, err
	}
	out := importResult{Format: res.Format.String(), Failed: []importFailed{}, Skipped: []importFailed{}}
	for _, r := range res.Skipped {
		out.Skipped = append(out.Skipped, importFailed{Line: r.Line, Reason: clip(r.Reason)})
	}
	for _, e := range res.Entries {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		outcome, err := a.importEntry(ctx, e)
		if err != nil {
			reason := "could not be stored; the server's log has the detail"
			if errors.Is(err, userstore.ErrInvalid) || errors.Is(err, userstore.ErrConflict) {
				reason = clip(strings.TrimPrefix(err.Error(), "userstore: "))
			} else {
				a.logger.ErrorContext(ctx, "csv import", "username", e.Username, "err", err)
			}
			out.Failed = append(out.Failed, importFailed{Username: clip(e.Username), Reason: reason})
			continue
		}
		switch outcome {
		case "created":
			out.Created++
		case "updated":
			out.Updated++
		default:
			out.Unchanged++
		}
	}
	return out, nil
}

// importEntry writes one imported user and says whether it was created,
// updated or unchanged. It retries a write that lost a race with another.
func (a *app) importEntry(ctx context.Context, e directory.Entry) (string, error) {
	for range 3 {
		u, err := a.users.GetUserByUsername(ctx, e.Username)
		switch {
		case errors.Is(err, userstore.ErrNotFound):
			u = userstore.User{Username: e.Username}
			fill(&u, e)
			created, err := a.users.CreateUser(ctx, u)
			if errors.Is(err, userstore.ErrConflict) {
				continue // made meanwhile: update it
			}
			if err != nil {
				return "", err
			}
			return "created", a.setGroups(ctx, created, e.Groups)
		case err != nil:
			return "", err
		}
		before := u
		fill(&u, e)
		changed := !sameUser(before, u)
		if changed {
			if u, err = a.users.UpdateUser(ctx, u); errors.Is(err, userstore.ErrVersionConflict) {
				continue
			} else if err != nil {
				return "", err
			}
		}
		if e.PasswordHash != "" && e.PasswordHash != before.PasswordHash {
			// UpdateUser does not write passwords: SetPassword does, as a
			// compare-and-set against the hash just read.
			if err := a.users.SetPassword(ctx, u.ID, before.PasswordHash, e.PasswordHash, false); errors.Is(err, userstore.ErrVersionConflict) {
				continue
			} else if err != nil {
				return "", err
			}
			changed = true
		}
		if !slices.Equal(sortedLower(before.Groups), sortedLower(e.Groups)) {
			if err := a.setGroups(ctx, u, e.Groups); err != nil {
				return "", err
			}
			changed = true
		}
		if changed {
			return "updated", nil
		}
		return "unchanged", nil
	}
	return "", fmt.Errorf("user %q changed too often during the import", e.Username)
}

// fill copies an entry's fields onto a user. The password goes with
// CreateUser only; an existing user's is set by SetPassword.
func fill(u *userstore.User, e directory.Entry) {
	if u.ID == "" {
		u.PasswordHash = e.PasswordHash
	}
	u.DisplayName = e.FullName
	u.Email = e.CorporateEmail
	if u.Email == "" {
		u.Email = e.PersonalEmail
	}
	u.Phone = e.Phone
	u.Enabled = e.Enabled
	if len(e.Roles) > 0 {
		roles := slices.Clone(e.Roles)
		slices.Sort(roles)
		u.Roles = slices.Compact(roles)
	}
}

func sameUser(a, b userstore.User) bool {
	return a.DisplayName == b.DisplayName && a.Email == b.Email && a.Phone == b.Phone && a.Enabled == b.Enabled &&
		slices.Equal(a.Roles, b.Roles)
}

func sortedLower(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (a *app) setGroups(ctx context.Context, u userstore.User, groups []string) error {
	if len(groups) == 0 && len(u.Groups) == 0 {
		return nil
	}
	return a.users.SetUserGroups(ctx, u.ID, groups)
}
