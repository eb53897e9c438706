package onboarding

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/keyart"
	"github.com/usher-sdk/usher/userstore"
)

// MaxActivitySteps is the most steps an activity records: 100. A device that
// answers a two-answer requirement (SMS, OIDC) over and over is refused
// after that and must start afresh.
const MaxActivitySteps = 100

// Config configures a Manager. Its zero value gives a Manager that knows
// only the Manual requirement.
type Config struct {
	// Requirements are the kinds applications may name, besides Manual,
	// which is always registered unless one here has its kind.
	Requirements []Requirement
}

// Option sets a dependency of a Manager.
type Option func(*Manager)

// WithLogger sets the Manager's logger. Default: discard. It never logs
// answers, passwords or nonces.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithClock sets the clock of the steps' times. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithRand sets the source of nonces. Default: crypto/rand.Reader.
func WithRand(r io.Reader) Option { return func(m *Manager) { m.rand = r } }

// WithAudit sets where audit events go. Default: nowhere.
func WithAudit(a Auditor) Option { return func(m *Manager) { m.audit = a } }

// Manager runs onboardings: it walks each through its application's
// requirements in order, then enrols the device. Make it with New; it is
// safe for concurrent use, also by several processes sharing one Store.
type Manager struct {
	store Store
	iss   issuer.Issuer
	reqs  map[string]Requirement
	log   *slog.Logger
	now   func() time.Time
	rand  io.Reader
	audit Auditor
	ids   ids.Sequence
}

// New returns a Manager on store that has iss issue device certificates.
// It reports every problem of cfg at once.
func New(store Store, iss issuer.Issuer, cfg Config, opts ...Option) (*Manager, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("onboarding: nil store"))
	}
	if iss == nil {
		errs = append(errs, errors.New("onboarding: nil issuer"))
	}
	m := &Manager{store: store, iss: iss, reqs: map[string]Requirement{},
		log: slog.New(slog.DiscardHandler), now: time.Now, rand: rand.Reader}
	for i, r := range cfg.Requirements {
		if r == nil || r.Kind() == "" || r.Kind() == TagSystem {
			errs = append(errs, fmt.Errorf("onboarding: requirement %d: nil or bad kind", i))
			continue
		}
		if _, dup := m.reqs[r.Kind()]; dup {
			errs = append(errs, fmt.Errorf("onboarding: requirement %d: kind %q given twice", i, r.Kind()))
		}
		m.reqs[r.Kind()] = r
	}
	if _, ok := m.reqs[KindManual]; !ok {
		m.reqs[KindManual] = Manual{}
	}
	for _, o := range opts {
		o(m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// CreateApplication validates a, checks that the Manager knows each of its
// requirement kinds, and stores it.
func (m *Manager) CreateApplication(ctx context.Context, a Application) (Application, error) {
	if err := m.checkApplication(a); err != nil {
		return Application{}, err
	}
	return m.store.CreateApplication(ctx, a)
}

// checkApplication validates a and checks that the Manager knows each of
// its requirement kinds.
func (m *Manager) checkApplication(a Application) error {
	errs := []error{a.Validate()}
	for i, r := range a.Requirements {
		if _, ok := m.reqs[r.Kind]; !ok && r.Kind != "" {
			errs = append(errs, fmt.Errorf("%w: requirement %d: %w %q", ErrInvalid, i, ErrUnknownRequirement, r.Kind))
		}
	}
	return errors.Join(errs...)
}

// UpdateApplication validates a as CreateApplication does and replaces the
// stored application a.ID with it (its ID and CreatedAt stay).
func (m *Manager) UpdateApplication(ctx context.Context, a Application) (Application, error) {
	if err := m.checkApplication(a); err != nil {
		return Application{}, err
	}
	return m.store.UpdateApplication(ctx, a)
}

// Applications returns every application, by name.
func (m *Manager) Applications(ctx context.Context) ([]Application, error) {
	return m.store.ListApplications(ctx)
}

// Application returns the application by ID.
func (m *Manager) Application(ctx context.Context, id string) (Application, error) {
	return m.store.GetApplication(ctx, id)
}

// State is what the device learns of its onboarding after each call.
type State struct {
	ActivityID string `json:"id"`
	Status     Status `json:"status"`
	// Step is the index of the current requirement.
	Step int `json:"step"`
	// Nonce must come with the next answer, poll or CSR.
	Nonce string `json:"nonce"`
	// Prompt is the current requirement's, when Status is in_progress.
	Prompt *Prompt `json:"prompt,omitempty"`
	// CSRChallenge, when Status is awaiting_csr and the Issuer is an
	// issuer.Challenger, is the CA's challenge: the CSR carries it in its
	// challengePassword and the nonce in its randomNonce attribute
	// (issuer.NewCSRChallenge).
	CSRChallenge string `json:"csr_challenge,omitempty"`
}

func (m *Manager) newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(m.rand, b); err != nil {
		return "", fmt.Errorf("onboarding: nonce: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// checkKey parses a device's SPKI and refuses keys other than P-256 and
// Ed25519.
func checkKey(spki []byte) error {
	if _, err := keyart.OfSPKI(spki); err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	pub, err := parseSPKI(spki)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return ErrUnsupportedKey
		}
	case ed25519.PublicKey:
	default:
		return ErrUnsupportedKey
	}
	return nil
}

// Fingerprint returns the hex SHA-256 of a DER SubjectPublicKeyInfo, the
// form of Activity.KeyFingerprint.
func Fingerprint(spki []byte) string {
	s := sha256.Sum256(spki)
	return hex.EncodeToString(s[:])
}

func (m *Manager) step(tag, msg string) Step {
	return Step{Time: m.now().UTC().Round(0), Tag: tag, Message: msg}
}

// Start begins an onboarding of the device key spki (DER
// SubjectPublicKeyInfo, ECDSA P-256 or Ed25519) to the application named
// appName (without regard to case).
func (m *Manager) Start(ctx context.Context, appName string, spki []byte) (State, error) {
	app, err := m.store.GetApplicationByName(ctx, appName)
	if errors.Is(err, ErrNotFound) {
		return State{}, fmt.Errorf("%w %q", ErrUnknownApplication, appName)
	}
	if err != nil {
		return State{}, err
	}
	if err := checkKey(spki); err != nil {
		return State{}, err
	}
	nonce, err := m.newNonce()
	if err != nil {
		return State{}, err
	}
	act, err := m.store.CreateActivity(ctx, Activity{
		ApplicationID:  app.ID,
		PublicKey:      spki,
		KeyFingerprint: Fingerprint(spki),
		Nonce:          nonce,
		Status:         StatusInProgress,
		Steps:          []Step{m.step(TagSystem, "Onboarding started.")},
	})
	if err != nil {
		return State{}, err
	}
	m.emit(ctx, AuditStarted, act, TagSystem, "Onboarding started.", "")
	return m.state(ctx, app, act)
}

// state builds what the device learns.
func (m *Manager) state(ctx context.Context, app Application, act Activity) (State, error) {
	s := State{ActivityID: act.ID, Status: act.Status, Step: act.Step, Nonce: act.Nonce}
	if act.Status == StatusInProgress && act.Step < len(app.Requirements) {
		spec := app.Requirements[act.Step]
		req, ok := m.reqs[spec.Kind]
		if !ok {
			return State{}, fmt.Errorf("%w %q", ErrUnknownRequirement, spec.Kind)
		}
		p, err := req.Prompt(ctx, StepContext{Application: app, Spec: spec, Activity: act})
		if err != nil {
			return State{}, err
		}
		s.Prompt = &p
	}
	if act.Status == StatusAwaitingCSR {
		s.CSRChallenge = m.csrChallenge()
	}
	if act.Status.Final() {
		s.Nonce = ""
	}
	return s, nil
}

// csrChallenge is the Issuer's CA challenge, or "".
func (m *Manager) csrChallenge() string {
	if c, ok := m.iss.(issuer.Challenger); ok {
		return c.CSRChallenge()
	}
	return ""
}

// load returns the activity and its application, checking nonce in
// constant time.
func (m *Manager) load(ctx context.Context, id, nonce string) (Activity, Application, error) {
	act, err := m.store.GetActivity(ctx, id)
	if err != nil {
		return Activity{}, Application{}, err
	}
	if act.Status.Final() {
		if act.Status == StatusRejected {
			return Activity{}, Application{}, ErrRejected
		}
		return Activity{}, Application{}, ErrFinished
	}
	if !nonceEqual(act.Nonce, nonce) {
		return Activity{}, Application{}, ErrReplay
	}
	app, err := m.store.GetApplication(ctx, act.ApplicationID)
	if err != nil {
		return Activity{}, Application{}, err
	}
	return act, app, nil
}

func nonceEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Status returns the onboarding's state to the device, which must give its
// current nonce; this is how a device waiting for approval learns the result.
func (m *Manager) Status(ctx context.Context, id, nonce string) (State, error) {
	act, app, err := m.load(ctx, id, nonce)
	if err != nil {
		return State{}, err
	}
	return m.state(ctx, app, act)
}

// Answer hands the device's answer to the requirement at index step, which
// must be the current one (ErrOutOfOrder), with the current nonce
// (ErrReplay). A met step moves the onboarding on and changes the nonce;
// a refused answer (ErrRefused) changes nothing.
func (m *Manager) Answer(ctx context.Context, id string, step int, nonce string, answer json.RawMessage) (State, error) {
	if len(answer) > MaxAnswerSize {
		return State{}, fmt.Errorf("%w: answer over %d bytes", ErrInvalid, MaxAnswerSize)
	}
	if len(answer) == 0 {
		answer = json.RawMessage(`{}`)
	}
	act, app, err := m.load(ctx, id, nonce)
	if err != nil {
		return State{}, err
	}
	if act.Status == StatusPending {
		return State{}, ErrPending
	}
	if step != act.Step || act.Status != StatusInProgress || step >= len(app.Requirements) {
		return State{}, fmt.Errorf("%w: answer for step %d, onboarding at step %d (%s)", ErrOutOfOrder, step, act.Step, act.Status)
	}
	spec := app.Requirements[step]
	req, ok := m.reqs[spec.Kind]
	if !ok {
		return State{}, fmt.Errorf("%w %q", ErrUnknownRequirement, spec.Kind)
	}
	res, err := req.Check(ctx, StepContext{Application: app, Spec: spec, Activity: act}, answer)
	if err != nil {
		if errors.Is(err, ErrRefused) {
			m.emit(ctx, AuditRefused, act, spec.Kind, "Answer refused.", "")
		}
		return State{}, err
	}
	next, err := m.newNonce()
	if err != nil {
		return State{}, err
	}
	msg := res.Message
	if msg == "" {
		msg = "Requirement met."
	}
	updated, err := m.store.UpdateActivity(ctx, id, func(a *Activity) error {
		// The requirement was checked outside the transaction: make sure
		// no concurrent answer used the nonce meanwhile.
		if a.Status != StatusInProgress || a.Step != step || !nonceEqual(a.Nonce, nonce) {
			return ErrReplay
		}
		if len(a.Steps) >= MaxActivitySteps {
			return fmt.Errorf("%w: the onboarding took %d steps; start afresh", ErrInvalid, MaxActivitySteps)
		}
		if res.UserID != "" {
			if a.UserID != "" && a.UserID != res.UserID {
				return fmt.Errorf("%w: step found another user than an earlier step", ErrRefused)
			}
			a.UserID, a.Login = res.UserID, res.Login
		}
		a.Nonce = next
		a.Steps = append(a.Steps, Step{Time: m.now().UTC().Round(0), Tag: spec.Kind, Message: msg})
		switch res.Outcome {
		case Pending:
			a.Status = StatusPending
		case Again:
		case Met:
			m.advance(a, len(app.Requirements))
		default:
			return fmt.Errorf("onboarding: requirement %q returned no outcome", spec.Kind)
		}
		return nil
	})
	if err != nil {
		return State{}, err
	}
	m.emit(ctx, AuditStep, updated, spec.Kind, msg, "")
	st, err := m.state(ctx, app, updated)
	if err == nil && res.Outcome == Again && res.Prompt != nil {
		st.Prompt = res.Prompt
	}
	return st, err
}

// advance moves a past its current step.
func (m *Manager) advance(a *Activity, n int) {
	a.Step++
	a.Status = StatusInProgress
	if a.Step >= n {
		a.Status = StatusAwaitingCSR
	}
}

// PendingApproval is an onboarding waiting for an administrator, with the
// picture and code of the key the server received, to compare with what
// the device shows.
type PendingApproval struct {
	Activity Activity
	Art      keyart.Art
	Code     string
}

// Pending lists the onboardings of an application that wait for approval,
// newest first.
func (m *Manager) Pending(ctx context.Context, applicationID string) ([]PendingApproval, error) {
	acts, err := m.store.ListActivities(ctx, applicationID, StatusPending)
	if err != nil {
		return nil, err
	}
	out := make([]PendingApproval, 0, len(acts))
	for _, a := range acts {
		art, err := keyart.OfSPKI(a.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("onboarding: activity %s: %w", a.ID, err)
		}
		out = append(out, PendingApproval{Activity: a, Art: art, Code: art.Code()})
	}
	return out, nil
}

// Approval is an administrator's decision on a pending onboarding.
type Approval struct {
	// Admin names who decided, for the activity and the audit trail.
	Admin string
	// UserID binds the onboarding to an application user when no earlier
	// step found one (a chain of Manual alone). It must not differ from a
	// user an earlier step found (ErrInvalid).
	UserID string
}

// Approve meets the pending step of an onboarding. The device learns it
// from Status, with the nonce it already has.
func (m *Manager) Approve(ctx context.Context, id string, a Approval) error {
	return m.decide(ctx, id, a, true)
}

// Reject ends a pending onboarding for good; a.UserID is ignored.
func (m *Manager) Reject(ctx context.Context, id string, a Approval) error {
	return m.decide(ctx, id, a, false)
}

func (m *Manager) decide(ctx context.Context, id string, ap Approval, approve bool) error {
	admin := ap.Admin
	if admin == "" {
		admin = "an administrator"
	}
	act, err := m.store.GetActivity(ctx, id)
	if err != nil {
		return err
	}
	app, err := m.store.GetApplication(ctx, act.ApplicationID)
	if err != nil {
		return err
	}
	var tag string
	updated, err := m.store.UpdateActivity(ctx, id, func(a *Activity) error {
		if a.Status != StatusPending {
			return fmt.Errorf("%w: onboarding is %s, not pending", ErrOutOfOrder, a.Status)
		}
		tag = app.Requirements[a.Step].Kind
		if approve && ap.UserID != "" {
			if a.UserID != "" && a.UserID != ap.UserID {
				return fmt.Errorf("%w: the onboarding is for another user", ErrInvalid)
			}
			a.UserID = ap.UserID
		}
		if approve {
			a.Steps = append(a.Steps, m.step(tag, "Approved by "+admin+"."))
			m.advance(a, len(app.Requirements))
		} else {
			a.Steps = append(a.Steps, m.step(tag, "Rejected by "+admin+"."))
			a.Status = StatusRejected
			a.Nonce = ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	if approve {
		m.emit(ctx, AuditApproved, updated, tag, "Approved by "+admin+".", "")
	} else {
		m.emit(ctx, AuditRejected, updated, tag, "Rejected by "+admin+".", "")
	}
	return nil
}

// Activities lists an application's onboardings, newest first.
func (m *Manager) Activities(ctx context.Context, applicationID string) ([]Activity, error) {
	return m.store.ListActivities(ctx, applicationID, "")
}

// Activity returns one onboarding.
func (m *Manager) Activity(ctx context.Context, id string) (Activity, error) {
	return m.store.GetActivity(ctx, id)
}

// DestroyActivity removes an onboarding, so that the user can start afresh.
// Devices it enrolled stay.
func (m *Manager) DestroyActivity(ctx context.Context, id string) error {
	return m.store.DeleteActivity(ctx, id)
}

// emit sends one audit event; a failing audit trail is logged, not
// returned, as the step has happened.
func (m *Manager) emit(ctx context.Context, kind userstore.AuditKind, act Activity, tag, msg, device string) {
	if device == "" {
		device = act.KeyFingerprint
	}
	e := userstore.AuditEvent{
		Time:   m.now().UTC(),
		Kind:   kind,
		UserID: act.UserID,
		Login:  act.Login,
		Remote: remoteFrom(ctx),
		Detail: map[string]string{
			DetailActivity:    act.ID,
			DetailApplication: act.ApplicationID,
			DetailDevice:      device,
			DetailTag:         tag,
			DetailMessage:     msg,
		},
	}
	m.log.InfoContext(ctx, NotakeyLine(e), "kind", string(kind))
	if m.audit == nil {
		return
	}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		m.log.ErrorContext(ctx, "onboarding: audit", "err", err)
	}
}
