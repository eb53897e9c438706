package main

import (
	"context"
	stdcsv "encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// exportColumns are the columns of the user export.
var exportColumns = []string{"Username", "Full name", "Device count", "Enabled", "Last authentication", "Last onboarding", "Teams", "Created at", "Updated at"}

// exportCSV writes every user (or those opts selects) as CSV, streaming:
// memory stays at one page of the store however many users there are.
// Every cell is made safe for spreadsheets (csv.SafeCell). Device count
// is the user's devices in the applications of the default realm, last
// onboarding the time of their latest enrolment (from the audit trail);
// last authentication the latest push authentication they approved in
// any application (authrequest).
func (a *app) exportCSV(ctx context.Context, w io.Writer, opts userstore.ListOptions) error {
	cw := stdcsv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	all, err := a.applications(ctx)
	if err != nil {
		return err
	}
	var apps []onboarding.Application
	for _, app := range all {
		if app.Realm() == database.DefaultRealm {
			apps = append(apps, app)
		}
	}
	for u, err := range a.users.ListUsers(ctx, opts) {
		if err != nil {
			return err
		}
		devices, last, err := a.deviceSummary(ctx, apps, u.ID)
		if err != nil {
			return err
		}
		lastAuth, err := a.lastAuthentication(ctx, u.ID)
		if err != nil {
			return err
		}
		rec := []string{u.Username, u.DisplayName, strconv.Itoa(devices), strconv.FormatBool(u.Enabled), stamp(lastAuth), stamp(last), strings.Join(u.Groups, "|"), stamp(u.CreatedAt), stamp(u.UpdatedAt)}
		for i := range rec {
			rec[i] = csv.SafeCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
