package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/testenv"
)

// chromium finds Debian's headless-capable Chromium, which `make test`
// installs; without it the test skips (fails when CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed (Debian: apt-get install chromium; `make test` installs it)"
	if testenv.InCI() {
		t.Fatal(msg + " (CI=true: missing servers fail the run)")
	}
	t.Skip(msg)
	return ""
}

// artifacts is where the browser test keeps its screenshots:
// $USHER_TEST_ARTIFACTS, else testdata/screenshots (ignored by git).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("USHER_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestBrowserAdminTour drives the admin page in a real headless Chromium:
// sign in, create a user, import a CSV, disable a user in bulk, read the
// audit trail — with a screenshot of each page.
func TestBrowserAdminTour(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	shots := artifacts(t)
	ts := newTestServer(t)
	csvFile := filepath.Join(t.TempDir(), "users.csv")
	require.NoError(t, os.WriteFile(csvFile, []byte(notakeyFile), 0o600))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	var text string
	// step runs actions, then reads the page's main text and keeps a
	// screenshot named name.
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Logf("step %s", name)
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if name != "1-sign-in" { // the first call starts the browser: no timeout on it
			require.NoError(t, chromedp.Do(sctx, actions...), name)
		} else {
			require.NoError(t, chromedp.Do(ctx, actions...), name)
		}
		var err error
		text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		require.NoError(t, err, name)
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err, name)
		require.NoError(t, os.WriteFile(filepath.Join(shots, name+".png"), img, 0o644))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	step("1-sign-in",
		chromedp.Navigate(ts.srv.URL+"/admin/"),
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.SendKeys(css(`input[name=username]`), bootstrapAdmin),
		chromedp.SendKeys(css(`input[name=password]`), testAdminPassword),
		chromedp.Submit(css(`form.login`)),
		chromedp.WaitVisible(css(`section.cards`)))
	assert.Contains(t, text, "Dashboard")

	step("2-create-user",
		chromedp.Navigate(ts.srv.URL+"/admin/users"),
		chromedp.WaitVisible(css(`#new-user input[name=username]`)),
		chromedp.SendKeys(css(`#new-user input[name=username]`), "carol"),
		chromedp.SendKeys(css(`#new-user input[name=displayName]`), "Carol Shaw"),
		chromedp.Submit(css(`#new-user`)),
		chromedp.WaitVisible(css(`p.notice`)))
	assert.Contains(t, text, "Created carol.")

	step("3-import-csv",
		chromedp.Navigate(ts.srv.URL+"/admin/users"), // a page without a notice yet
		chromedp.WaitVisible(css(`#import`)),
		chromedp.SetUploadFiles(css(`input[type=file]`), []string{csvFile}),
		chromedp.Submit(css(`#import`)),
		chromedp.WaitVisible(css(`p.notice`)))
	assert.Contains(t, text, "Imported (notakey): 2 created")

	u, err := ts.app.users.GetUserByUsername(t.Context(), "carol")
	require.NoError(t, err)
	step("4-bulk-disable",
		chromedp.Navigate(ts.srv.URL+"/admin/users"),
		chromedp.WaitVisible(css(`#bulk`)),
		chromedp.Click(css(`input[type=checkbox][value="`+u.ID+`"]`)),
		chromedp.Click(css(`button[value=disable]`)),
		chromedp.WaitVisible(css(`p.notice`)))
	assert.Contains(t, text, "Disabled 1 users.")
	u, err = ts.app.users.GetUser(t.Context(), u.ID)
	require.NoError(t, err)
	assert.False(t, u.Enabled)

	step("5-audit-trail",
		chromedp.Navigate(ts.srv.URL+"/admin/audit"),
		chromedp.WaitVisible(css(`table`)))
	for _, kind := range []string{"admin.user_created", "admin.users_imported", "admin.user_disabled"} {
		assert.Contains(t, text, kind)
	}
	assert.False(t, strings.Contains(text, "Something went wrong"))
}
