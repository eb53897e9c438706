package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/deviceclient"
)

// Defaults of wait's flags.
const (
	defaultWaitTimeout = 5 * time.Minute
	defaultWaitPoll    = 2 * time.Second
	// maxPayload bounds -payload; the server takes authrequest.MaxPayload.
	maxPayload = authrequest.MaxPayload
)

// errTimeout marks a wait that saw no request (exit code 4).
var errTimeout = errors.New("no request arrived")

// deviceFlags are the flags of the subcommands that talk to authrequest's
// device API with an onboarded key.
type deviceFlags struct {
	*paths
	api string
}

func addDeviceFlags(fl *flag.FlagSet) *deviceFlags {
	d := &deviceFlags{paths: keyFlags(fl)}
	fl.StringVar(&d.api, "api", "", "base URL of the server's authentication-request device API (where /v1/devices/… is); default: the state file's api, else its server")
	return d
}

// device is an onboarded key and its client of the device API.
type device struct {
	st     state
	api    string
	client *deviceclient.Client
}

// open reads the state file and the key and returns the client of the
// device API.
func (a *app) open(d *deviceFlags) (*device, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	st, err := readState(d.statePath())
	if isNotExist(err) {
		return nil, fmt.Errorf("no state file %s: onboard the key first (\"%s onboard -key %s …\")", d.statePath(), prog, d.key)
	} else if err != nil {
		return nil, err
	}
	key, err := loadKey(d.key)
	if err != nil {
		return nil, err
	}
	id, err := identityOf(key)
	if err != nil {
		return nil, err
	}
	if id.fingerprint != st.Fingerprint {
		return nil, fmt.Errorf("state file %s is for another key (fingerprint %s), not %s", d.statePath(), st.Fingerprint, d.key)
	}
	api := d.api
	if api == "" {
		api = st.apiURL()
	}
	hc, err := a.client(st.CAFile)
	if err != nil {
		return nil, err
	}
	c, err := deviceclient.New(api, st.DeviceID, key, deviceclient.WithHTTPClient(hc), deviceclient.WithClock(a.now))
	if err != nil {
		return nil, usagef("-api: %v", err)
	}
	return &device{st: st, api: api, client: c}, nil
}

// authError turns an error of authrequest/deviceclient into words.
func authError(doing string, err error) error {
	var e *deviceclient.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch e.Code {
	case authrequest.CodeRefused:
		return fmt.Errorf("%s: the server refused (a wrong number, a device that was destroyed or revoked, or this computer's clock more than 5 minutes off)", doing)
	case authrequest.CodeAnswered:
		return fmt.Errorf("%s: the request was answered already or has expired", doing)
	case authrequest.CodeNoAccess:
		return fmt.Errorf("%s: the user has no active pre-approval for this application", doing)
	case authrequest.CodeNotFound:
		return fmt.Errorf("%s: not found: is -api the base URL of the authentication-request device API? (%s)", doing, e.Message)
	}
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", e.Status)
	}
	if e.Code == "" {
		return fmt.Errorf("%s: the server answered %s", doing, msg)
	}
	return fmt.Errorf("%s: the server refused: %s (%s)", doing, msg, e.Code)
}

// pending lists the device's pending requests.
func (d *device) pending(ctx context.Context) ([]authrequest.DeviceRequest, error) {
	rs, err := d.client.Pending(ctx)
	if err != nil {
		return nil, authError("listing the pending requests", err)
	}
	return rs, nil
}

// cmdRequests: requests [-key FILE] [-state FILE] [-api URL] [-json].
func (a *app) cmdRequests(ctx context.Context, args []string) error {
	fl := a.newFlagSet("requests", "Lists the authentication requests the device's user is asked to answer, as\n"+
		"the user or as another user's approver, oldest first.")
	d := addDeviceFlags(fl)
	asJSON := fl.Bool("json", false, "print the list as JSON (authrequest.DeviceRequest)")
	if err := parse(fl, args); err != nil {
		return err
	}
	dev, err := a.open(d)
	if err != nil {
		return err
	}
	rs, err := dev.pending(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rs)
	}
	if len(rs) == 0 {
		fmt.Fprintln(a.stdout, "No pending requests.")
		return nil
	}
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		a.printRequest(r)
	}
	return nil
}

// printRequest shows r. Its texts come from a third party, so control
// characters (terminal escapes, line breaks) are shown as spaces.
func (a *app) printRequest(r authrequest.DeviceRequest) {
	fmt.Fprintf(a.stdout, "request %s\n", r.ID)
	role := "user (the request is yours)"
	if r.Role == authrequest.RoleApprover {
		role = "approver (you approve another user's request)"
	}
	fmt.Fprintf(a.stdout, "  role:        %s\n", role)
	fmt.Fprintf(a.stdout, "  who:         %s\n", clean(r.Username))
	if r.Kind != "" && r.Kind != authrequest.KindAuthentication {
		fmt.Fprintf(a.stdout, "  kind:        %s\n", clean(string(r.Kind)))
	}
	fmt.Fprintf(a.stdout, "  action:      %s\n", clean(r.Action))
	if r.Description != "" {
		fmt.Fprintf(a.stdout, "  description: %s\n", clean(r.Description))
	}
	if r.Fingerprint != "" {
		fmt.Fprintf(a.stdout, "  fingerprint: %s\n", clean(r.Fingerprint))
	}
	left := r.ExpiresAt.Sub(a.now()).Round(time.Second)
	fmt.Fprintf(a.stdout, "  expires:     %s (in %s)\n", r.ExpiresAt.UTC().Format(time.RFC3339), max(left, 0))
	if r.NumberMatching {
		fmt.Fprintln(a.stdout, "  number:      required: approve with the number the sign-in page shows (-number)")
	} else {
		fmt.Fprintln(a.stdout, "  number:      not required")
	}
	if r.BiometricCheck {
		fmt.Fprintln(a.stdout, "  biometric:   asked (a phone would check a fingerprint or face first)")
	}
}

// clean replaces control and format characters (escapes, line breaks,
// bidirectional overrides) by spaces, and cuts s at
// authrequest.MaxTextLength bytes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > authrequest.MaxTextLength {
		s = strings.ToValidUTF8(s[:authrequest.MaxTextLength], "") + "…"
	}
	return s
}

// pick chooses the requests to answer: the one with id, all of them, or
// the only one pending.
func pick(rs []authrequest.DeviceRequest, id string, all bool) ([]authrequest.DeviceRequest, error) {
	switch {
	case id != "":
		for _, r := range rs {
			if r.ID == id {
				return []authrequest.DeviceRequest{r}, nil
			}
		}
		return nil, fmt.Errorf("request %s is not pending for this device (answered, expired, another user's, or a QR request not claimed yet)", id)
	case len(rs) == 0:
		return nil, errors.New("no pending requests")
	case all:
		return rs, nil
	case len(rs) > 1:
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		return nil, usagef("%d requests are pending (%s): give -id ID or -all", len(rs), strings.Join(ids, ", "))
	}
	return rs, nil
}

// cmdApprove: approve [-id ID | -all] [-number N] [-payload TEXT].
func (a *app) cmdApprove(ctx context.Context, args []string) error {
	fl := a.newFlagSet("approve", "Approves a pending authentication request: the one given by -id, every one\n"+
		"with -all, or the only one pending. When a request needs number matching,\n"+
		"the number the sign-in page shows is -number or asked for.")
	d := addDeviceFlags(fl)
	id := fl.String("id", "", "the request to approve (default: the only pending one)")
	all := fl.Bool("all", false, "approve every pending request")
	number := fl.String("number", "", "number matching: the number the sign-in page shows (default: ask when needed)")
	payload := fl.String("payload", "", fmt.Sprintf("text returned to the third party with the approval (at most %d bytes)", maxPayload))
	payloadType := fl.String("payload-type", "text/plain", "media type of -payload")
	if err := parse(fl, args); err != nil {
		return err
	}
	switch {
	case *id != "" && *all:
		return usagef("give -id or -all, not both")
	case len(*payload) > maxPayload:
		return usagef("-payload: at most %d bytes", maxPayload)
	case len(*payloadType) > authrequest.MaxPayloadType:
		return usagef("-payload-type: at most %d bytes", authrequest.MaxPayloadType)
	}
	dev, err := a.open(d)
	if err != nil {
		return err
	}
	rs, err := dev.pending(ctx)
	if err != nil {
		return err
	}
	chosen, err := pick(rs, *id, *all)
	if err != nil {
		return err
	}
	for _, r := range chosen {
		ans := deviceclient.Answer{}
		if *payload != "" {
			ans.Payload, ans.PayloadType = []byte(*payload), *payloadType
		}
		if r.NumberMatching {
			ans.Number = strings.TrimSpace(*number)
			if ans.Number == "" {
				fmt.Fprintf(a.stdout, "Request %s (%s) needs number matching.\n", r.ID, clean(r.Action))
				n, err := a.ask(ctx, "Number the sign-in page shows: ", "-number")
				if err != nil {
					return err
				}
				ans.Number = strings.TrimSpace(n)
			}
		}
		st, err := dev.client.Approve(ctx, r, ans)
		if err != nil {
			return authError("approving "+r.ID, err)
		}
		switch {
		case r.Role == authrequest.RoleUser && st.Status == authrequest.StatePending:
			fmt.Fprintf(a.stdout, "Approved %s: your approver must approve it too.\n", r.ID)
		default:
			fmt.Fprintf(a.stdout, "Approved %s: %s.\n", r.ID, st.Status)
		}
	}
	return nil
}

// cmdDeny: deny [-id ID] [-reason TEXT].
func (a *app) cmdDeny(ctx context.Context, args []string) error {
	fl := a.newFlagSet("deny", "Denies a pending authentication request (-id, or the only one pending), with\n"+
		"the user's words in -reason, which the third party receives.")
	d := addDeviceFlags(fl)
	id := fl.String("id", "", "the request to deny (default: the only pending one)")
	reason := fl.String("reason", "", fmt.Sprintf("why, for the third party (\"this wasn't me\"); at most %d bytes", authrequest.MaxTextLength))
	if err := parse(fl, args); err != nil {
		return err
	}
	if len(*reason) > authrequest.MaxTextLength {
		return usagef("-reason: at most %d bytes", authrequest.MaxTextLength)
	}
	dev, err := a.open(d)
	if err != nil {
		return err
	}
	rs, err := dev.pending(ctx)
	if err != nil {
		return err
	}
	chosen, err := pick(rs, *id, false)
	if err != nil {
		return err
	}
	r := chosen[0]
	st, err := dev.client.Deny(ctx, r, deviceclient.Answer{Reason: *reason})
	if err != nil {
		return authError("denying "+r.ID, err)
	}
	fmt.Fprintf(a.stdout, "Denied %s: %s.\n", r.ID, st.Status)
	return nil
}

// cmdClaim: claim -qr TEXT.
func (a *app) cmdClaim(ctx context.Context, args []string) error {
	fl := a.newFlagSet("claim", "Claims a QR request: -qr is the text of the QR code a sign-in page shows\n"+
		"(\"usher-auth:?id=…&code=…\"). The request becomes the device user's; approve or\n"+
		"deny it then like any other.")
	d := addDeviceFlags(fl)
	qr := fl.String("qr", "", "the QR code's text, usher-auth:?id=…&code=…; required")
	if err := parse(fl, args); err != nil {
		return err
	}
	text := strings.TrimSpace(*qr)
	switch {
	case text == "":
		return usagef("-qr is required")
	case !strings.HasPrefix(text, "usher-auth:?"):
		return usagef(`-qr: not an Usher QR code (it starts "usher-auth:?")`)
	}
	dev, err := a.open(d)
	if err != nil {
		return err
	}
	r, err := dev.client.Claim(ctx, text)
	if err != nil {
		return authError("claiming the QR request", err)
	}
	fmt.Fprintln(a.stdout, "Claimed:")
	a.printRequest(r)
	fmt.Fprintf(a.stdout, "\nAnswer it with: %s approve -id %s   (or deny -id %s)\n", prog, r.ID, r.ID)
	return nil
}

// cmdWait: wait [-timeout 5m] [-poll 2s].
func (a *app) cmdWait(ctx context.Context, args []string) error {
	fl := a.newFlagSet("wait", "Asks the server every -poll until a request is pending, prints it and ends;\n"+
		"exit code 4 when none arrives within -timeout.")
	d := addDeviceFlags(fl)
	timeout := fl.Duration("timeout", defaultWaitTimeout, "give up after this long (0: until interrupted)")
	poll := fl.Duration("poll", defaultWaitPoll, "how often to ask")
	if err := parse(fl, args); err != nil {
		return err
	}
	switch {
	case *timeout < 0:
		return usagef("-timeout must not be negative")
	case *poll <= 0:
		return usagef("-poll must be positive")
	}
	dev, err := a.open(d)
	if err != nil {
		return err
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	fmt.Fprintf(a.stdout, "Waiting for a request (asking every %s; Ctrl-C stops)…\n", *poll)
	t := time.NewTicker(*poll)
	defer t.Stop()
	warned := false
	for {
		rs, err := dev.client.Pending(ctx)
		switch {
		case err == nil && len(rs) > 0:
			for i, r := range rs {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				a.printRequest(r)
			}
			return nil
		case err != nil && ctx.Err() == nil:
			var e *deviceclient.Error
			if errors.As(err, &e) && e.Status != http.StatusServiceUnavailable && e.Status != http.StatusBadGateway {
				return authError("listing the pending requests", err)
			}
			if !warned {
				fmt.Fprintf(a.stderr, "%s: asking the server failed, trying again: %v\n", prog, err)
				warned = true
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w within %s (-timeout)", errTimeout, *timeout)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}
