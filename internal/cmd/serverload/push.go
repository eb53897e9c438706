package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-sdk/usher/authrequest"
	authclient "github.com/usher-sdk/usher/authrequest/deviceclient"
	"github.com/usher-sdk/usher/internal/serverproc"
	"github.com/usher-sdk/usher/onboarding"
	obclient "github.com/usher-sdk/usher/onboarding/deviceclient"
)

// pushConfig is what -mix push runs with.
type pushConfig struct {
	users, workers          int
	duration, warmup, drain time.Duration
	wait                    bool
}

// Names of what the push mix makes.
const (
	pushApp     = "Load"
	pushProfile = "load"
	// onboardWorkers onboard the devices in parallel.
	onboardWorkers = 16
	// verifyEvery: one callback in verifyEvery has its signature checked
	// with the Standard Webhooks library.
	verifyEvery = 10
	// maxCallbackBody bounds what the receiver reads of a callback.
	maxCallbackBody = 64 << 10
)

// The kinds of the push mix, in the order printed.
var pushKinds = []string{"create", "pending", "answer", "wait", "round"}

// device is an onboarded device of one user.
type device struct {
	username string
	id       string
	key      ed25519.PrivateKey
}

// devClients is a device with a client of the device API of each
// process of a run.
type devClients struct {
	username string
	clients  []*authclient.Client
}

// clientsOf makes each device's clients of the processes at urls.
func clientsOf(hc *http.Client, devices []device, urls []string) ([]devClients, error) {
	out := make([]devClients, len(devices))
	for i, d := range devices {
		out[i].username = d.username
		for _, u := range urls {
			c, err := authclient.New(u+"/api/device", d.id, d.key, authclient.WithHTTPClient(hc))
			if err != nil {
				return nil, err
			}
			out[i].clients = append(out[i].clients, c)
		}
	}
	return out, nil
}

// runPush sets up, through a process without limits, an application with
// the Credentials requirement, one onboarded device per user and a
// profile whose Response callback posts to a receiver here; then, for
// each setting of runs, it starts the setting's processes, loads them
// with push authentications, waits for the callbacks and stops them.
func runPush(b *bench, runs []setting, cfg pushConfig) error {
	if cfg.users < cfg.workers {
		return fmt.Errorf("-mix push needs -users (%d) ≥ -workers (%d): each worker answers on devices of its own", cfg.users, cfg.workers)
	}
	// Every device onboards from 127.0.0.1: lift the per-address limit of
	// onboarding starts (-device-start-limit, 100 in 15 minutes), which is
	// for devices on the open internet; the processes inherit it.
	if err := os.Setenv("USHER_DEVICE_START_LIMIT", "0"); err != nil {
		return err
	}
	// Clients (the third party's, the devices') share one transport.
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * cfg.workers, MaxConnsPerHost: 2 * cfg.workers}
	hc := &http.Client{Transport: tr, Timeout: 70 * time.Second}
	rcv := newReceiver()
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	thirdParty, devices, err := setupPush(b, hc, rcv, hook.URL, cfg.users)
	if err != nil {
		return err
	}
	fmt.Printf("database %s, %d devices, %d workers, %s, wait %v; measured processes: %s\n",
		strings.SplitN(b.dsn, ":", 2)[0], len(devices), cfg.workers, cfg.duration, cfg.wait, b.lim)

	var summary strings.Builder
	fmt.Fprintf(&summary, summaryHeader, "rounds")
	for i, s := range runs {
		f, err := b.start(s.bin, s.processes, true, strconv.Itoa(i))
		if err != nil {
			return err
		}
		row, err := pushRun(b, f, s, hc, rcv, thirdParty, devices, cfg)
		f.stop()
		if err != nil {
			return err
		}
		summary.WriteString(row)
	}
	fmt.Print("\nsummary (rounds):\n", summary.String())
	return nil
}

// setupPush makes the application, the devices and the profile through
// a process without limits, and returns the third party's token and the
// devices.
func setupPush(b *bench, hc *http.Client, rcv *receiver, hook string, users int) (string, []device, error) {
	setup, err := b.start(b.bins[0], 1, false, "setup")
	if err != nil {
		return "", nil, err
	}
	defer setup.stop()
	base := setup.urls[0]
	admin, err := serverproc.Token(base, "users:read", "users:write", "onboarding", "authrequest")
	if err != nil {
		return "", nil, err
	}
	// The third party holds a token of scope authrequest only.
	thirdParty, err := serverproc.Token(base, "authrequest")
	if err != nil {
		return "", nil, err
	}
	ids, password, err := importUsers(base, admin, users)
	if err != nil {
		return "", nil, err
	}
	body, err := call(context.Background(), http.DefaultClient, admin, "POST", base+"/api/v1/applications",
		fmt.Sprintf(`{"name":%q,"requirements":[{"kind":"credentials"}]}`, pushApp))
	if err != nil {
		return "", nil, err
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		return "", nil, fmt.Errorf("no id in the new application's answer: %.200s", body)
	}
	start := time.Now()
	devices, err := onboardAll(hc, base, len(ids), password)
	if err != nil {
		return "", nil, err
	}
	fmt.Printf("%d devices onboarded in %s\n", len(devices), time.Since(start).Round(time.Millisecond))
	secret, err := makeProfile(base, admin, app.ID, hook)
	if err != nil {
		return "", nil, err
	}
	if rcv.wh, err = standardwebhooks.NewWebhook(secret); err != nil {
		return "", nil, fmt.Errorf("the profile's secret: %w", err)
	}
	return thirdParty, devices, nil
}

// pushRun measures one setting on the running processes f, waits for the
// callbacks its approvals owe, and returns the summary's row.
func pushRun(b *bench, f *fleet, s setting, hc *http.Client, rcv *receiver, token string, devices []device, cfg pushConfig) (string, error) {
	dc, err := clientsOf(hc, devices, f.urls)
	if err != nil {
		return "", err
	}
	fmt.Printf("\n%s\n", s)
	if cfg.warmup > 0 {
		// Warm the new processes up (pools, caches), and let their
		// callbacks go out, before measuring.
		w := cfg
		w.duration = w.warmup
		was := rcv.distinct()
		_, n := pushLoad(hc, f.urls, token, dc, w)
		for start := time.Now(); rcv.distinct()-was < n && time.Since(start) < cfg.drain; {
			time.Sleep(50 * time.Millisecond)
		}
	}
	was := rcv.stats()
	var res map[string]*pushResult
	var approved int
	u := b.measure(f, s, cfg.duration, func() { res, approved = pushLoad(hc, f.urls, token, dc, cfg) })
	fmt.Printf("%-8s %10s %10s %10s %8s\n", "kind", "req/s", "p50", "p99", "errors")
	for _, kind := range pushKinds {
		r := res[kind]
		if kind == "wait" && !cfg.wait {
			continue
		}
		fmt.Printf("%-8s %10.0f %10s %10s %8d\n", kind, float64(len(r.lat))/cfg.duration.Seconds(),
			pct(r.lat, 0.50), pct(r.lat, 0.99), r.errors)
	}
	for _, e := range res["round"].samples {
		fmt.Println("  error:", e)
	}
	fmt.Println(u)

	// Drain: each approval owes one Response callback.
	drainStart := time.Now()
	for rcv.distinct()-was.distinct < approved && time.Since(drainStart) < cfg.drain {
		time.Sleep(50 * time.Millisecond)
	}
	st := rcv.stats()
	fmt.Printf("callbacks: %d delivered (%d distinct webhook-ids) of %d expected, %s after the load; signatures: %d checked, %d bad\n",
		st.total-was.total, st.distinct-was.distinct, approved, time.Since(drainStart).Round(time.Millisecond), st.checked-was.checked, st.bad-was.bad)
	if st.bad > 0 {
		return "", errors.New("callbacks with a bad signature")
	}
	r := res["round"]
	if rep := u.pgPerRound(b.dsn, len(r.lat)); rep != "" {
		fmt.Println(rep)
	}
	return summaryRow(s, float64(len(r.lat))/cfg.duration.Seconds(), pct(r.lat, 0.5), pct(r.lat, 0.99), r.errors, u), nil
}

// onboardAll onboards one ed25519 device per user (load000000, …)
// through the onboarding device API of the process at base, in parallel.
func onboardAll(hc *http.Client, base string, n int, password string) ([]device, error) {
	devices := make([]device, n)
	next := atomic.Int64{}
	errs := make(chan error, onboardWorkers)
	var wg sync.WaitGroup
	for range onboardWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d, err := onboardOne(hc, base, fmt.Sprintf("load%06d", i), password)
				if err != nil {
					errs <- fmt.Errorf("onboarding load%06d: %w", i, err)
					next.Store(int64(n))
					return
				}
				devices[i] = d
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return devices, nil
}

// onboardOne onboards a device of username at the process at base.
func onboardOne(hc *http.Client, base, username, password string) (device, error) {
	ctx := context.Background()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return device{}, err
	}
	c, err := obclient.New(base+"/api/device", key, obclient.WithHTTPClient(hc))
	if err != nil {
		return device{}, err
	}
	st, err := c.Start(ctx, pushApp)
	for range onboarding.MaxActivitySteps {
		if err != nil {
			return device{}, err
		}
		switch {
		case st.Status == onboarding.StatusAwaitingCSR:
			id, _, err := c.Enrol(ctx, st)
			if err != nil {
				return device{}, err
			}
			return device{username: username, id: id, key: key}, nil
		case st.Status == onboarding.StatusInProgress && st.Prompt != nil && st.Prompt.Kind == onboarding.KindCredentials:
			st, err = c.Credentials(ctx, st, username, password)
		default:
			return device{}, fmt.Errorf("unexpected onboarding state %q", st.Status)
		}
	}
	return device{}, errors.New("too many onboarding steps")
}

// makeProfile makes the push profile with a Response callback to hook and
// returns its signing secret.
func makeProfile(base, token, appID, hook string) (string, error) {
	profile, err := json.Marshal(map[string]any{
		"name": pushProfile, "action": "Sign in to the load test as {username}",
		"callbacks": []map[string]string{{"event": "Response", "url": hook + "/hook",
			"body": `{"event": "{event}", "id": "{uuid}", "user": "{username}", "response": "{response_type}"}`}},
	})
	if err != nil {
		return "", err
	}
	b, err := call(context.Background(), http.DefaultClient, token, "POST", base+"/api/v1/applications/"+url.PathEscape(appID)+"/profiles", string(profile))
	if err != nil {
		return "", err
	}
	var out struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Secret == "" {
		return "", fmt.Errorf("no secret in the new profile's answer: %.200s", b)
	}
	return out.Secret, nil
}

// pushResult is a kind's latencies and errors, with a few error texts.
type pushResult struct {
	result
	samples []string
}

func (r *pushResult) fail(err error) {
	r.errors++
	if len(r.samples) < 3 {
		r.samples = append(r.samples, err.Error())
	}
}

// pushLoad runs the workers for cfg.duration; worker w answers on the
// devices w, w+workers, … in turn, so that no two workers share a
// device. It returns the latencies by kind and the number of approvals.
func pushLoad(hc *http.Client, urls []string, token string, devices []devClients, cfg pushConfig) (map[string]*pushResult, int) {
	res := map[string]*pushResult{}
	for _, k := range pushKinds {
		res[k] = &pushResult{}
	}
	var mu sync.Mutex
	approved := 0
	deadline := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for w := range cfg.workers {
		wg.Go(func() {
			rnd := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			local := map[string]*pushResult{}
			for _, k := range pushKinds {
				local[k] = &pushResult{}
			}
			n := 0
			for i := w; time.Now().Before(deadline); i += cfg.workers {
				d := devices[i%len(devices)]
				if err := pushRound(hc, urls, rnd, token, d, cfg.wait, local); err != nil {
					local["round"].fail(err)
					continue
				}
				n++
			}
			mu.Lock()
			defer mu.Unlock()
			approved += n
			for k, r := range local {
				res[k].lat = append(res[k].lat, r.lat...)
				res[k].errors += r.errors
				if len(res[k].samples) < 3 {
					res[k].samples = append(res[k].samples, r.samples...)
				}
			}
		})
	}
	wg.Wait()
	return res, approved
}

// pushRound is one authentication: the third party creates a request for
// d's user, the device lists its pending requests and approves it, and
// (with wait) the third party's long poll, sent right after the create,
// reports approved. Each call goes to a process picked at random.
func pushRound(hc *http.Client, urls []string, rnd *mrand.Rand, token string, d devClients, wait bool, local map[string]*pushResult) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pick := func() string { return urls[rnd.IntN(len(urls))] }
	dev := func() *authclient.Client { return d.clients[rnd.IntN(len(d.clients))] }
	start := time.Now()
	b, err := call(ctx, hc, token, "POST", pick()+"/api/v1/auth/requests",
		fmt.Sprintf(`{"application":%q,"username":%q,"profile":%q}`, pushApp, d.username, pushProfile))
	if err != nil {
		err = fmt.Errorf("create: %w", err)
		local["create"].fail(err)
		return err
	}
	local["create"].lat = append(local["create"].lat, time.Since(start))
	var created struct {
		ID string `json:"auth_req_id"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.ID == "" {
		err = fmt.Errorf("create: no auth_req_id in %.200s", b)
		local["create"].fail(err)
		return err
	}

	var waited chan error
	if wait {
		waited = make(chan error, 1)
		waitURL := pick() + "/api/v1/auth/requests/" + url.PathEscape(created.ID) + "/wait?timeout=30"
		go func() {
			t := time.Now()
			b, err := call(ctx, hc, token, "GET", waitURL, "")
			var st authrequest.Status
			if err == nil {
				if err = json.Unmarshal(b, &st); err == nil && st.Status != authrequest.StateApproved {
					err = fmt.Errorf("status %q", st.Status)
				}
			}
			if err == nil {
				// Only this goroutine appends to "wait" while it runs.
				local["wait"].lat = append(local["wait"].lat, time.Since(t))
			}
			waited <- err
		}()
	}

	// On a failure below, the wait is cancelled (fail) before it is drained.
	fail := func(kind string, err error) error {
		local[kind].fail(err)
		cancel()
		_ = drainWait(waited)
		return err
	}
	t := time.Now()
	pending, err := dev().Pending(ctx)
	if err != nil {
		return fail("pending", fmt.Errorf("pending: %w", err))
	}
	local["pending"].lat = append(local["pending"].lat, time.Since(t))
	var r *authrequest.DeviceRequest
	for i := range pending {
		if pending[i].ID == created.ID {
			r = &pending[i]
		}
	}
	if r == nil {
		return fail("pending", fmt.Errorf("pending: request %s not among %d listed", created.ID, len(pending)))
	}
	t = time.Now()
	st, err := dev().Approve(ctx, *r, authclient.Answer{})
	if err != nil {
		return fail("answer", fmt.Errorf("answer: %w", err))
	}
	if st.Status != authrequest.StateApproved {
		return fail("answer", fmt.Errorf("answer: status %q", st.Status))
	}
	local["answer"].lat = append(local["answer"].lat, time.Since(t))
	if err := drainWait(waited); err != nil {
		local["wait"].fail(err)
		return fmt.Errorf("wait: %w", err)
	}
	local["round"].lat = append(local["round"].lat, time.Since(start))
	return nil
}

// drainWait returns the long poll's outcome (nil without one).
func drainWait(waited chan error) error {
	if waited == nil {
		return nil
	}
	return <-waited
}

// receiver counts the callbacks it is sent and checks the signature of
// one in verifyEvery with the Standard Webhooks library.
type receiver struct {
	wh *standardwebhooks.Webhook

	mu           sync.Mutex
	total        int
	seen         map[string]bool
	checked, bad int
}

type receiverStats struct{ total, distinct, checked, bad int }

func newReceiver() *receiver { return &receiver{seen: map[string]bool{}} }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCallbackBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.total++
	check := rc.total%verifyEvery == 1
	rc.seen[r.Header.Get("webhook-id")] = true
	rc.mu.Unlock()
	if check {
		err := rc.wh.Verify(body, r.Header)
		rc.mu.Lock()
		rc.checked++
		if err != nil {
			rc.bad++
		}
		rc.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.seen)
}

func (rc *receiver) stats() receiverStats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return receiverStats{total: rc.total, distinct: len(rc.seen), checked: rc.checked, bad: rc.bad}
}
