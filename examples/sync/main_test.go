package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// csvUser is one row of a PureSync CSV file.
type csvUser struct {
	name, personal, email, phone, groups, roles string
}

// writeCSV writes users as a PureSync CSV file at path.
func writeCSV(t testing.TB, path string, users []csvUser) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write([]string{"Full Name", "Personal Email", "Corporate Email", "Phone Number", "groups", "roles"}))
	for _, u := range users {
		require.NoError(t, w.Write([]string{u.name, u.personal, u.email, u.phone, u.groups, u.roles}))
	}
	w.Flush()
	require.NoError(t, w.Error())
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
}

// staff is the test organization's users.
func staff(n int) []csvUser {
	users := []csvUser{
		{"Alice Example", "alice@home.test", "alice@example.test", "+15550001", "sales,staff", "admin"},
		{"Bob Example", "", "bob@example.test", "", "staff", ""},
		{"Carol Example", "", "carol@example.test", "+15550003", "eng", "dev"},
		{"Dan Example", "", "dan@example.test", "", "eng", ""},
		{"Erin Example", "", "erin@example.test", "", "", ""},
		{"Frank Example", "", "frank@example.test", "", "sales", ""},
	}
	for i := len(users); i < n; i++ {
		users = append(users, csvUser{name: fmt.Sprintf("User %d", i), email: fmt.Sprintf("user%05d@example.test", i), groups: fmt.Sprintf("team%d", i%7)})
	}
	return users[:n]
}

// harness is an agent set up in a temporary directory: a CSV source, a
// SQLite store and a configuration written by init.
type harness struct {
	t      testing.TB
	dir    string
	config string
	csv    string
	db     string
	// sent collects the mail a fake sender was given.
	mu   sync.Mutex
	sent []mail.Message
	// sendErr, when set, fails the sends to these addresses.
	sendErr map[string]error
}

const testOrg = "acme-test"

func newHarness(t testing.TB, users []csvUser) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, config: filepath.Join(dir, "usher-sync.json"), csv: filepath.Join(dir, "users.csv"), db: filepath.Join(dir, "users.db")}
	writeCSV(t, h.csv, users)
	r := h.run("init", "--yes", "--org-id", testOrg, "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db)
	require.Equal(t, exitOK, r.code, r.stderr)
	return h
}

// result is what one run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// app returns an agent whose mail goes to the harness.
func (h *harness) app(stdin string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errOut)
	a.getenv = func(k string) string {
		if k == "USHER_SYNC_CONFIG" {
			return h.config
		}
		return ""
	}
	a.newSender = func(cfg []byte) (mail.Sender, error) {
		if _, err := mail.FromJSON(cfg); err != nil {
			return nil, err
		}
		return senderFunc(h.send), nil
	}
	return a, &out, &errOut
}

func (h *harness) runIn(stdin string, args ...string) result {
	h.t.Helper()
	a, out, errOut := h.app(stdin)
	code := a.run(context.Background(), args)
	return result{code, out.String(), errOut.String()}
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runIn("", args...)
}

// ok runs args and requires success.
func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	require.Equal(h.t, exitOK, r.code, "usher-sync %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r
}

type senderFunc func(context.Context, mail.Message) error

func (f senderFunc) Send(ctx context.Context, m mail.Message) error { return f(ctx, m) }

func (h *harness) send(_ context.Context, m mail.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.sendErr[m.To[0]]; err != nil {
		return err
	}
	h.sent = append(h.sent, m)
	return nil
}

// store opens the harness's SQLite store for a check.
func (h *harness) store() userstore.Store {
	h.t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), h.db)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = s.Close() })
	return s
}

// users returns the store's users by corporate e-mail.
func (h *harness) users() map[string]userstore.User {
	h.t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), h.db)
	require.NoError(h.t, err)
	defer s.Close()
	m := map[string]userstore.User{}
	for u, err := range s.ListUsers(context.Background(), userstore.ListOptions{}) {
		require.NoError(h.t, err)
		_, dup := m[u.Email]
		require.False(h.t, dup, "two users have the e-mail %s", u.Email)
		m[u.Email] = u
	}
	return m
}

func id(email string) string { return directory.Identifier(testOrg, email) }

func TestUsageAndExitCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(2))
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no command", nil, exitUsage, "usage: usher-sync"},
		{"help", []string{"help"}, exitOK, "commands:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"add", "--no-such-flag"}, exitUsage, "no-such-flag"},
		{"verb help", []string{"add", "-h"}, exitOK, "-dry-run"},
		{"too many args", []string{"activate", "a@example.test", "b@example.test"}, exitUsage, "at most one e-mail"},
		{"lookup without identifier", []string{"lookup"}, exitUsage, "one identifier"},
		{"group without subcommand", []string{"group"}, exitUsage, "group list"},
		{"group unknown subcommand", []string{"group", "delete"}, exitUsage, `unknown subcommand "delete"`},
		{"group attach one arg", []string{"group", "attach", "sales"}, exitUsage, "<groups> <emails>"},
		{"email without resend", []string{"email"}, exitUsage, "email resend"},
		{"autosync without run", []string{"autosync"}, exitUsage, "autosync run"},
		{"missing config", []string{"status", "--config", filepath.Join(t.TempDir(), "none.json")}, exitFailure, "run usher-sync init first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.err)
		})
	}
}

// TestRun drives the exported entry point itself, as main does.
func TestRun(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"help"}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, exitOK, code)
	for _, v := range []string{"init", "add", "update", "activate", "deactivate", "status", "group", "lookup", "email", "autosync"} {
		assert.Contains(t, errOut.String(), "\n  "+v+" ")
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(2))
	for _, tc := range []struct {
		name, config, want string
	}{
		{"missing org", `{"privateKey":"k","store":"sqlite:x","source":{"type":"csv","csv":{"path":"u.csv"}}}`, `"orgId"`},
		{"bad source", `{"orgId":"o","privateKey":"k","store":"sqlite:x","source":{"type":"nis"}}`, `"source.type"`},
		{"bad share", `{"orgId":"o","privateKey":"k","store":"sqlite:x","source":{"type":"csv","csv":{"path":"u.csv"}},"sync":{"maxDeactivateShare":2}}`, `"sync.maxDeactivateShare"`},
		{"bad interval", `{"orgId":"o","privateKey":"k","store":"sqlite:x","source":{"type":"csv","csv":{"path":"u.csv"}},"sync":{"interval":"soon"}}`, `"sync.interval"`},
		{"unknown field", `{"organisation":"o"}`, `unknown field "organisation"`},
		{"bad store", `{"orgId":"o","privateKey":"k","store":"mysql://x","source":{"type":"csv","csv":{"path":"u.csv"}}}`, `"store"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(h.dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			require.NoError(t, os.WriteFile(p, []byte(tc.config), 0o600))
			r := h.run("group", "list", "--config", p)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}
