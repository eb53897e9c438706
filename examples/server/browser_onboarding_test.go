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
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/keyart"
)

// TestBrowserOnboarding drives the onboarding pages in a real headless
// Chromium: create an application with Credentials then Manual, let a
// simulated device wait for approval, compare its code on the pending
// page, approve, and read the activity's steps — with a screenshot of
// each page (onboarding-*.png).
func TestBrowserOnboarding(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	shots := artifacts(t)
	ts := newTestServer(t)
	ts.addUser("", "alice", "alice's long password")

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
		require.NoError(t, os.WriteFile(filepath.Join(shots, "onboarding-"+name+".png"), img, 0o644))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	step("1-sign-in",
		chromedp.Navigate(ts.srv.URL+"/admin/"),
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.SendKeys(css(`input[name=username]`), bootstrapAdmin),
		chromedp.SendKeys(css(`input[name=password]`), testAdminPassword),
		chromedp.Submit(css(`form.login`)),
		chromedp.WaitVisible(css(`section.cards`)))

	step("2-create-application",
		chromedp.Navigate(ts.srv.URL+"/admin/applications"),
		chromedp.WaitVisible(css(`#new-application input[name=name]`)),
		chromedp.SendKeys(css(`#new-application input[name=name]`), "Office VPN"),
		chromedp.SendKeys(css(`#new-application input[name=description]`), "Laptops and phones of the office"),
		chromedp.SetValue(css(`select[name=step1]`), onboarding.KindCredentials),
		chromedp.SetValue(css(`select[name=step2]`), onboarding.KindManual),
		chromedp.Submit(css(`#new-application`)),
		chromedp.WaitVisible(css(`p.notice`)))
	assert.Contains(t, text, "Created the application Office VPN.")
	apps, err := ts.app.applications(t.Context())
	require.NoError(t, err)
	require.Len(t, apps, 1)
	require.Len(t, apps[0].Requirements, 2)
	assert.Equal(t, onboarding.KindManual, apps[0].Requirements[1].Kind)

	// The simulated device walks to the Manual step.
	c, spki := ts.device()
	st := untilPending(t, c, "Office VPN", "alice", "alice's long password")
	art, err := keyart.OfSPKI(spki)
	require.NoError(t, err)

	step("3-pending",
		chromedp.Navigate(ts.srv.URL+"/admin/pending"),
		chromedp.WaitVisible(css(`#pending-`+st.ActivityID+` img`)))
	assert.Contains(t, text, groupCode(art.Code()), "the code the device shows")
	assert.Contains(t, text, "alice")

	step("4-approved",
		chromedp.Click(css(`#pending-`+st.ActivityID+` form[action$="/approve"] button`)),
		chromedp.WaitVisible(css(`p.notice`)))
	assert.Contains(t, text, "Approved")
	st, err = c.Status(t.Context(), st)
	require.NoError(t, err)
	deviceID, _, err := c.Enrol(t.Context(), st)
	require.NoError(t, err)

	step("5-activity",
		chromedp.Navigate(ts.srv.URL+"/admin/applications/"+apps[0].ID+"/activities"),
		chromedp.WaitVisible(css(`#activity-`+st.ActivityID)))
	for _, s := range []string{"completed", "Approved by admin.", "Certificate request accepted.", "credentials", "manual", "system"} {
		assert.Contains(t, text, s)
	}

	step("6-application",
		chromedp.Navigate(ts.srv.URL+"/admin/applications/"+apps[0].ID),
		chromedp.WaitVisible(css(`#devices`)))
	assert.Contains(t, text, deviceID)
}
