package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/authrequest"
	ardevice "github.com/usher-sdk/usher/authrequest/deviceclient"
)

// TestBrowserPushAuth drives the push authentication pages in a real
// headless Chromium: create a profile (its secret shown once), add a
// callback, send it a test event, see a request answered on a simulated
// phone among the activities, and open a pre-approval link — with a
// screenshot of each page (pushauth-*.png).
func TestBrowserPushAuth(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	shots := artifacts(t)
	ts := newTestServer(t)
	app := ts.pushApp("Office VPN")
	ts.addUser("", "alice", "alice's long password")
	phone := ts.phone("Office VPN", "alice", "alice's long password")
	rc := newReceiver(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	var text string
	first := true
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Logf("step %s", name)
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if first { // the first call starts the browser: no timeout on it
			first = false
			sctx = ctx
		}
		require.NoError(t, chromedp.Do(sctx, actions...), name)
		var err error
		text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		require.NoError(t, err, name)
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err, name)
		require.NoError(t, os.WriteFile(filepath.Join(shots, "pushauth-"+name+".png"), img, 0o644))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	auth := ts.srv.URL + "/admin/applications/" + app.ID + "/authentication"

	step("1-sign-in",
		chromedp.Navigate(ts.srv.URL+"/admin/"),
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.SendKeys(css(`input[name=username]`), bootstrapAdmin),
		chromedp.SendKeys(css(`input[name=password]`), testAdminPassword),
		chromedp.Submit(css(`form.login`)),
		chromedp.WaitVisible(css(`section.cards`)))
	assert.Contains(t, text, "active users")

	step("2-create-profile",
		chromedp.Navigate(auth),
		chromedp.WaitVisible(css(`#new-profile input[name=name]`)),
		chromedp.SendKeys(css(`#new-profile input[name=name]`), "login"),
		chromedp.SendKeys(css(`#new-profile input[name=action]`), "Sign in to the VPN as {username}"),
		chromedp.Click(css(`#new-profile input[name=numberMatching]`)),
		chromedp.Submit(css(`#new-profile`)),
		chromedp.WaitVisible(css(`#secret`)))
	assert.Contains(t, text, "Created the profile login.")
	assert.Contains(t, text, "whsec_")

	step("3-add-callback",
		chromedp.SetValue(css(`#new-callback select[name=event]`), "Response"),
		chromedp.SendKeys(css(`#new-callback input[name=url]`), rc.srv.URL+"/usher/{uuid}"),
		chromedp.SendKeys(css(`#new-callback textarea[name=body]`), `{"event": "{event}", "user": "{username}"}`),
		chromedp.Submit(css(`#new-callback`)),
		// The new page's own element: the last page had a notice too.
		chromedp.WaitVisible(css(`#callbacks form[action$="/callbacks/0/test"] button`)))
	assert.Contains(t, text, "Added the callback.")
	assert.NotContains(t, text, "whsec_", "the secret is shown once")

	step("4-test-event",
		chromedp.Click(css(`#callbacks form[action$="/callbacks/0/test"] button`)),
		chromedp.WaitVisible(css(`#test-result`)))
	assert.Contains(t, text, "the receiver accepted the test event")
	rc.wait(t, 1)

	// A request pushed and approved on the phone.
	ps, err := ts.app.arStore.ListProfiles(t.Context(), app.ID)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	c, err := ts.app.authreq.Create(t.Context(), authrequest.CreateRequest{ApplicationID: app.ID, Username: "alice", ProfileID: ps[0].ID})
	require.NoError(t, err)
	pending, err := phone.Pending(t.Context())
	require.NoError(t, err)
	require.Len(t, pending, 1)
	_, err = phone.Approve(t.Context(), pending[0], ardevice.Answer{Number: c.Number})
	require.NoError(t, err)
	rc.wait(t, 2)

	step("5-activities",
		chromedp.Navigate(auth),
		chromedp.WaitVisible(css(`#activities`)))
	assert.Contains(t, text, "Sign in to the VPN as alice")
	assert.Contains(t, text, "approved")

	step("6-policy",
		chromedp.SendKeys(css(`#new-policy input[name=name]`), "office hours"),
		chromedp.Submit(css(`#new-policy`)),
		chromedp.WaitVisible(css(`p.notice`)))
	pols, err := ts.app.arStore.ListPolicies(t.Context(), app.ID)
	require.NoError(t, err)
	require.Len(t, pols, 1)

	step("7-pre-approval-link",
		chromedp.Navigate(ts.srv.URL+"/preapprove/"+pols[0].ID),
		chromedp.WaitVisible(css(`#ask`)))
	assert.Contains(t, text, "Ask for access to Office VPN")
}
