package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sms"
)

// Defaults of onboard's flags.
const (
	defaultPoll = 2 * time.Second
	defaultWait = 30 * time.Minute
	// maxTries is how often a wrong typed answer (password, SMS code) may
	// be typed again before onboard gives up.
	maxTries = 3
	// maxRounds bounds the answers of one onboarding (the server allows
	// onboarding.MaxActivitySteps steps).
	maxRounds = onboarding.MaxActivitySteps
	// defaultSMSWait is how long onboard -sms-dir waits for the code file.
	defaultSMSWait = 30 * time.Second
	// smsPoll is how often onboard -sms-dir looks for the code file.
	smsPoll = 50 * time.Millisecond
)

// onboardFlags are onboard's flags.
type onboardFlags struct {
	*paths
	server, app, api       string
	username, passwordFile string
	phone, picture         string
	caFile                 string
	smsDir                 string
	poll, wait, smsWait    time.Duration
}

// cmdOnboard: onboard -server URL -app NAME [-key FILE] [-state FILE] ….
func (a *app) cmdOnboard(ctx context.Context, args []string) error {
	fl := a.newFlagSet("onboard", "Onboards the device's key to an application: answers each of the application's\n"+
		"requirements in turn (credentials, SMS, OpenID Connect, manual approval), then\n"+
		"sends a CSR signed with the key and stores the certificate in the key file +\n"+
		"\".crt\" and the server, application and device ID in the state file.")
	o := onboardFlags{paths: keyFlags(fl)}
	fl.StringVar(&o.server, "server", "", "base URL of the server's device API (where /v1/onboardings is); required")
	fl.StringVar(&o.app, "app", "", "name of the application to onboard to; required")
	fl.StringVar(&o.api, "api", "", "base URL of the authentication-request device API, kept in the state file for requests, approve, deny, claim and wait (default: -server)")
	fl.StringVar(&o.username, "username", "", "credentials: the username (default: ask)")
	fl.StringVar(&o.passwordFile, "password-file", "", "credentials: read the password from the first line of this file, mode 0600 (default: ask, without echo on a terminal)")
	fl.StringVar(&o.phone, "phone", "", "SMS: the phone number (default: ask)")
	fl.StringVar(&o.smsDir, "sms-dir", "", "SMS: read the code from the file a development sms.FileSender writes in this folder, instead of asking")
	fl.DurationVar(&o.smsWait, "sms-wait", defaultSMSWait, "SMS with -sms-dir: give up when no code file arrives within this long")
	fl.StringVar(&o.picture, "picture", "", "manual approval: write the key's picture as PNG here (default: the key file + \".png\")")
	fl.StringVar(&o.caFile, "cacert", "", "PEM file of the CA certificates that sign the server's TLS certificate (default: the system's)")
	fl.DurationVar(&o.poll, "poll", defaultPoll, "manual approval: how often to ask whether an administrator decided")
	fl.DurationVar(&o.wait, "wait", defaultWait, "manual approval: give up after this long (0: wait until interrupted)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	switch {
	case o.server == "":
		return usagef("-server is required")
	case o.app == "":
		return usagef("-app is required")
	case o.api != "" && !strings.HasPrefix(o.api, "http://") && !strings.HasPrefix(o.api, "https://"):
		return usagef("-api must be an http:// or https:// URL")
	case o.poll <= 0:
		return usagef("-poll must be positive")
	case o.wait < 0:
		return usagef("-wait must not be negative")
	case o.smsWait <= 0:
		return usagef("-sms-wait must be positive")
	}
	if o.picture == "" {
		o.picture = o.key + ".png"
	}

	key, err := loadKey(o.key)
	if err != nil {
		return err
	}
	id, err := identityOf(key)
	if err != nil {
		return err
	}
	// One key, one onboarding: refuse before asking the server anything.
	for _, f := range []string{o.cert(), o.statePath()} {
		if _, err := keyfile.Read(f); err == nil {
			return fmt.Errorf("%s exists: this key is onboarded already (remove %s and %s to onboard it again, or make a new key with init)",
				f, o.cert(), o.statePath())
		} else if !isNotExist(err) {
			return err
		}
	}
	hc, err := a.client(o.caFile)
	if err != nil {
		return err
	}
	c, err := deviceclient.New(o.server, key, deviceclient.WithHTTPClient(hc))
	if err != nil {
		return usagef("-server: %v", err)
	}

	st, err := c.Start(ctx, o.app)
	if err != nil {
		return serverError("starting the onboarding", err)
	}
	fmt.Fprintf(a.stdout, "Onboarding to %q at %s (activity %s).\n", o.app, o.server, st.ActivityID)
	for range maxRounds {
		switch st.Status {
		case onboarding.StatusInProgress:
			if st.Prompt == nil {
				return fmt.Errorf("the server sent step %d without a prompt", st.Step)
			}
			st, err = a.answer(ctx, c, st, &o, id)
		case onboarding.StatusPending:
			st, err = a.waitDecision(ctx, c, st, &o)
		case onboarding.StatusAwaitingCSR:
			return a.enrol(ctx, c, st, &o, id)
		case onboarding.StatusRejected:
			return errRejected
		default:
			return fmt.Errorf("the server sent an unexpected status %q", st.Status)
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("the onboarding took more than %d steps", maxRounds)
}

// serverError turns an error of deviceclient into one that says what
// failed in words; a rejection wraps errRejected.
func serverError(doing string, err error) error {
	var e *deviceclient.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch e.Code {
	case onboarding.CodeRejected:
		return fmt.Errorf("%s: %w by an administrator", doing, errRejected)
	case onboarding.CodeUnknownApplication:
		return fmt.Errorf("%s: the server has no such application (-app)", doing)
	case onboarding.CodeNotFound:
		return fmt.Errorf("%s: not found: is -server the base URL of the device API? (%s)", doing, e.Message)
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

// errorCode is the protocol's error code in err, or "".
func errorCode(err error) string {
	var e *deviceclient.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// answer answers the current requirement of st.
func (a *app) answer(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags, id identity) (onboarding.State, error) {
	p := st.Prompt
	fmt.Fprintf(a.stdout, "\nStep %d: %s\n", st.Step+1, p.Kind)
	if p.Message != "" {
		fmt.Fprintf(a.stdout, "  %s\n", p.Message)
	}
	switch p.Kind {
	case onboarding.KindCredentials:
		return a.credentials(ctx, c, st, o)
	case onboarding.KindSMS:
		return a.sms(ctx, c, st, o)
	case onboarding.KindOIDC:
		return a.oidc(ctx, c, st)
	case onboarding.KindManual:
		return a.manual(ctx, c, st, o, id)
	}
	return a.generic(ctx, c, st)
}

// credentials answers a Credentials step; a refused answer is asked again
// when it was typed.
func (a *app) credentials(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags) (onboarding.State, error) {
	for try := 1; ; try++ {
		user := o.username
		var err error
		if user == "" {
			if user, err = a.ask(ctx, "Username: ", "-username"); err != nil {
				return st, err
			}
		}
		var pw string
		if o.passwordFile != "" {
			pw, err = readPasswordFile(o.passwordFile)
		} else {
			pw, err = a.askPassword(ctx)
		}
		if err != nil {
			return st, err
		}
		next, err := c.Credentials(ctx, st, user, pw)
		if err == nil {
			fmt.Fprintln(a.stdout, "  Credentials accepted.")
			return next, nil
		}
		typed := o.username == "" || o.passwordFile == ""
		if errorCode(err) != onboarding.CodeRefused || !typed || try == maxTries {
			return st, serverError("credentials", err)
		}
		fmt.Fprintln(a.stdout, "  The server refused the username or password; try again.")
	}
}

// sms answers an SMS step: the phone number, then the code.
func (a *app) sms(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags) (onboarding.State, error) {
	phone := o.phone
	var err error
	if phone == "" {
		if phone, err = a.ask(ctx, "Phone number: ", "-phone"); err != nil {
			return st, err
		}
	}
	codeFile := ""
	if o.smsDir != "" {
		// The file is named by the E.164 number; a stale one from an
		// earlier run is removed before the server writes the new one.
		e164, err := sms.Normalize(phone, "")
		if err != nil {
			return st, fmt.Errorf("SMS: with -sms-dir give the phone number in international form (+44…): %w", err)
		}
		if codeFile, err = sms.FilePath(o.smsDir, e164); err != nil {
			return st, err
		}
		if err := os.Remove(codeFile); err != nil && !isNotExist(err) {
			return st, fmt.Errorf("SMS: %w", err)
		}
	}
	st, err = c.Answer(ctx, st, map[string]string{"phone": phone})
	if err != nil {
		return st, serverError("SMS: sending the phone number", err)
	}
	// The server answers the same whether or not the number is the user's.
	fmt.Fprintln(a.stdout, "  If that is the user's number, a code is on its way by SMS.")
	for try := 1; ; try++ {
		var code string
		if codeFile != "" {
			code, err = a.readCodeFile(ctx, codeFile, o.smsWait)
		} else {
			code, err = a.ask(ctx, "SMS code: ", "")
		}
		if err != nil {
			return st, err
		}
		next, err := c.Answer(ctx, st, map[string]string{"code": strings.TrimSpace(code)})
		if err == nil {
			fmt.Fprintln(a.stdout, "  Code accepted.")
			return next, nil
		}
		if errorCode(err) != onboarding.CodeRefused || try == maxTries || codeFile != "" {
			return st, serverError("SMS code", err)
		}
		fmt.Fprintln(a.stdout, "  The server refused the code (wrong, expired or used up); try again.")
	}
}

// readCodeFile waits up to wait for the file a development sms.FileSender
// writes, reads the code from it and removes it.
func (a *app) readCodeFile(ctx context.Context, path string, wait time.Duration) (string, error) {
	fmt.Fprintf(a.stdout, "  Waiting for the code in %s (-sms-dir, at most %s)…\n", path, wait)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(smsPoll)
	defer t.Stop()
	for {
		data, err := keyfile.ReadSecret(path)
		switch {
		case err == nil:
			msg, err := sms.ParseFile(data)
			if err != nil {
				return "", fmt.Errorf("SMS: %s: %w", path, err)
			}
			if err := os.Remove(path); err != nil {
				return "", fmt.Errorf("SMS: %w", err)
			}
			if msg.Code == "" {
				return "", fmt.Errorf("SMS: %s holds no code", path)
			}
			fmt.Fprintln(a.stdout, "  Read the code from the file (and removed it).")
			return msg.Code, nil
		case !isNotExist(err):
			return "", fmt.Errorf("SMS: %w", err)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", fmt.Errorf("SMS: no code file %s within %s (-sms-wait): is the number the user's, and does the server write to -sms-dir?", path, wait)
			}
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// oidc answers an OpenID Connect step: {} for the authorization URL, then
// the parameters of the callback, which the person pastes.
func (a *app) oidc(ctx context.Context, c *deviceclient.Client, st onboarding.State) (onboarding.State, error) {
	st, err := c.Answer(ctx, st, nil)
	if err != nil {
		return st, serverError("OpenID Connect: starting the sign-in", err)
	}
	if st.Prompt == nil || st.Prompt.URL == "" {
		return st, errors.New("OpenID Connect: the server sent no sign-in URL")
	}
	fmt.Fprintf(a.stdout, "  Open this address in a browser and sign in:\n\n    %s\n\n", st.Prompt.URL)
	fmt.Fprintln(a.stdout, "  The identity provider then sends the browser to the application's redirect")
	fmt.Fprintln(a.stdout, "  address, which a phone would catch; copy that address from the browser.")
	line, err := a.ask(ctx, "Address after sign-in: ", "")
	if err != nil {
		return st, err
	}
	ans, err := callbackParams(line)
	if err != nil {
		return st, err
	}
	next, err := c.Answer(ctx, st, ans)
	if err != nil {
		return st, serverError("OpenID Connect: completing the sign-in", err)
	}
	fmt.Fprintln(a.stdout, "  Signed in.")
	return next, nil
}

// callbackParams takes the state, code, id_token and error parameters from
// a callback URL (query or fragment) or a bare query string.
func callbackParams(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	raw := s
	if u, err := url.Parse(s); err == nil && (u.RawQuery != "" || u.Fragment != "") {
		raw = u.RawQuery
		if raw == "" || !strings.Contains(raw, "state=") {
			raw = u.Fragment
		}
	}
	raw = strings.TrimPrefix(raw, "?")
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect: %q is not a callback address: %v", s, err)
	}
	out := map[string]string{}
	for _, k := range []string{"state", "code", "id_token", "error"} {
		if v := q.Get(k); v != "" {
			out[k] = v
		}
	}
	if out["state"] == "" {
		return nil, errors.New("OpenID Connect: the address has no state parameter; copy the whole address the browser was sent to")
	}
	return out, nil
}

// manual answers a Manual step: it checks that the server computed the
// same code from the key it received, writes the picture and asks to be
// put in the pending list.
func (a *app) manual(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags, id identity) (onboarding.State, error) {
	code := id.art.Code()
	if st.Prompt.Code != "" && st.Prompt.Code != code {
		return st, fmt.Errorf("manual approval: the server computed code %s from the key it received, but this key's code is %s: "+
			"the key was changed on the way; do not let an administrator approve this onboarding", st.Prompt.Code, code)
	}
	if err := writePNG(o.picture, id.art, defaultPNGSize); err != nil {
		return st, err
	}
	abs, err := filepath.Abs(o.picture)
	if err != nil {
		abs = o.picture
	}
	fmt.Fprintf(a.stdout, "  The administrator compares them with the pending request on the server\n")
	fmt.Fprintf(a.stdout, "  (every digit of the code first, then the picture).\n\n")
	fmt.Fprintf(a.stdout, "    picture: %s\n    code:    %s\n\n", abs, code)
	next, err := c.Answer(ctx, st, nil)
	if err != nil {
		return st, serverError("manual approval", err)
	}
	return next, nil
}

// generic answers a requirement the simulator does not know by asking for
// each of its fields.
func (a *app) generic(ctx context.Context, c *deviceclient.Client, st onboarding.State) (onboarding.State, error) {
	ans := map[string]string{}
	for _, f := range st.Prompt.Fields {
		v, err := a.ask(ctx, f+": ", "")
		if err != nil {
			return st, err
		}
		ans[f] = v
	}
	next, err := c.Answer(ctx, st, ans)
	if err != nil {
		return st, serverError(st.Prompt.Kind, err)
	}
	return next, nil
}

// waitDecision polls until the pending step is decided, -wait passes or
// ctx ends. Network failures are retried until then.
func (a *app) waitDecision(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags) (onboarding.State, error) {
	fmt.Fprintf(a.stdout, "  Waiting for an administrator to approve or reject (asking every %s; Ctrl-C stops)…\n", o.poll)
	if o.wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.wait)
		defer cancel()
	}
	t := time.NewTicker(o.poll)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return st, fmt.Errorf("manual approval: no decision within %s (-wait); the request stays pending on the server", o.wait)
			}
			return st, fmt.Errorf("manual approval: %w; the request stays pending on the server", ctx.Err())
		case <-t.C:
		}
		next, err := c.Status(ctx, st)
		var e *deviceclient.Error
		switch {
		case err == nil && next.Status == onboarding.StatusPending:
			continue
		case err == nil:
			fmt.Fprintln(a.stdout, "  Approved.")
			return next, nil
		case errors.As(err, &e) && e.Code != onboarding.CodeUnavailable:
			return st, serverError("manual approval", err)
		case ctx.Err() != nil:
			continue // reported at the top of the loop
		}
		if !warned {
			fmt.Fprintf(a.stderr, "%s: asking the server failed, trying again: %v\n", prog, err)
			warned = true
		}
	}
}

// enrol sends the CSR and stores the certificate and the state file.
func (a *app) enrol(ctx context.Context, c *deviceclient.Client, st onboarding.State, o *onboardFlags, id identity) error {
	deviceID, cert, err := c.Enrol(ctx, st)
	if err != nil {
		return serverError("sending the CSR", err)
	}
	// The certificate is public (the public key, the user's and device's
	// IDs, sent to every server the device talks to), so 0644 like any
	// certificate; only the key file is secret.
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := keyfile.WriteNew(o.cert(), certPEM, 0o644); err != nil {
		return fmt.Errorf("writing the certificate: %w", err)
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	caFile := ""
	if o.caFile != "" {
		caFile = abs(o.caFile)
	}
	appName := o.app
	if sub, err := issuer.SubjectOf(cert); err == nil {
		appName = sub.Application // as the server spells it
	}
	if err := writeState(o.statePath(), state{
		Version:     stateVersion,
		Server:      o.server,
		Application: appName,
		DeviceID:    deviceID,
		Key:         abs(o.key),
		Certificate: abs(o.cert()),
		Fingerprint: id.fingerprint,
		CAFile:      caFile,
		API:         o.api,
		OnboardedAt: a.now().UTC().Round(0),
	}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nOnboarded: device %s.\n", deviceID)
	fmt.Fprintf(a.stdout, "certificate: %s (serial %s, expires %s)\n", o.cert(), serialHex(cert), cert.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(a.stdout, "state:       %s\n", o.statePath())
	fmt.Fprintf(a.stdout, "\nNext: \"%s requests -key %s\" lists the authentication requests pushed to it.\n", prog, o.key)
	return nil
}

// client returns the HTTP client, trusting the certificates of caFile for
// TLS instead of the system's when given.
func (a *app) client(caFile string) (*http.Client, error) {
	if caFile == "" {
		return a.httpClient, nil
	}
	data, err := keyfile.Read(caFile)
	if err != nil {
		return nil, fmt.Errorf("-cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("-cacert %s: no PEM certificate in it", caFile)
	}
	var tr *http.Transport
	if t, ok := a.httpClient.Transport.(*http.Transport); ok {
		tr = t.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc := *a.httpClient
	hc.Transport = tr
	return &hc, nil
}

// serialHex is the certificate's serial number in hex, as openssl shows it.
func serialHex(cert *x509.Certificate) string { return fmt.Sprintf("%X", cert.SerialNumber) }
