package claims

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Actions of a Rule.
const (
	// ActionCreate adds the claim when the identity lacks it.
	ActionCreate = "create"
	// ActionReplace sets the claim, whether it was there or not.
	ActionReplace = "replace"
	// ActionRemove removes the claim; with a Value, only when it renders
	// "true".
	ActionRemove = "remove"
)

// Defaults and bounds of rules.
const (
	DefaultRuleTimeout   = 100 * time.Millisecond
	DefaultRuleMaxOutput = 4096
	// MaxRuleTemplate bounds a rule's template source, in bytes.
	MaxRuleTemplate = 16 << 10
)

// Errors of rules. A *RuleError carries the rule at fault and matches one
// of them.
var (
	// ErrRuleInvalid: the rule is refused when saved (unknown action, a
	// protected claim, a template that does not parse or refers to a
	// field the context lacks).
	ErrRuleInvalid = errors.New("claims: invalid rule")
	// ErrRuleLimit: the rule ran longer than its time or wrote more than
	// its output bound.
	ErrRuleLimit = errors.New("claims: rule over its limits")
	// ErrRuleFailed: the rule's template failed when run.
	ErrRuleFailed = errors.New("claims: rule failed")
)

// RuleError is an error of one rule.
type RuleError struct {
	Rule string // Rule.Name, or "#n" (from 1) when unnamed
	Kind error  // ErrRuleInvalid, ErrRuleLimit or ErrRuleFailed
	Err  error
}

// Error names the kind, the rule and the cause.
func (e *RuleError) Error() string {
	return fmt.Sprintf("%s: rule %s: %v", e.Kind, e.Rule, e.Err)
}

// Unwrap returns the kind and the cause.
func (e *RuleError) Unwrap() []error { return []error{e.Kind, e.Err} }

// protected claims are the token's own: no rule may touch them.
var protected = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "nonce": true,
	"auth_time": true, "azp": true, "at_hash": true, "c_hash": true, "jti": true,
}

// Rule creates, replaces or removes one claim of the issued identity
// (ProAuth's claim rules). Value is a text/template over a RuleContext;
// for create and replace, an empty result leaves the claims as they are,
// which is how a rule applies only sometimes:
//
//	{{if .UserStoreLogin}}{{.ChangePasswordLink "https://id.example.com/password"}}{{end}}
type Rule struct {
	// Name identifies the rule in errors. Optional.
	Name string `json:"name,omitempty"`
	// Action is ActionCreate, ActionReplace or ActionRemove.
	Action string `json:"action"`
	// Claim is the claim type, e.g. "pwchangeurl". The token's own
	// claims (iss, sub, aud, exp, iat, nbf, nonce, …) are refused.
	Claim string `json:"claim"`
	// Value is the template of the claim's value; for ActionRemove an
	// optional condition.
	Value string `json:"value,omitempty"`
}

// RuleUser is the user as a rule sees it: the fields of userstore.User
// that are not secret.
type RuleUser struct {
	ID, Username, Email, Phone, DisplayName, GivenName, FamilyName string
	ExternalID, Source                                             string
	Enabled                                                        bool
	Groups, Roles                                                  []string
	Attributes                                                     map[string]string
}

// NewRuleUser returns the RuleUser of u.
func NewRuleUser(u userstore.User) RuleUser {
	return RuleUser{
		ID: u.ID, Username: u.Username, Email: u.Email, Phone: u.Phone, DisplayName: u.DisplayName,
		GivenName: u.GivenName, FamilyName: u.FamilyName, ExternalID: u.ExternalID, Source: u.Source,
		Enabled: u.Enabled, Groups: u.Groups, Roles: u.Roles, Attributes: u.Attributes,
	}
}

// RuleContext is what a rule's template sees, as "." — the documented
// context:
//
//	.UserStoreLogin  bool   the user signed in with a user-store password
//	.Host            string the host the sign-in came to
//	.LoginName       string what the user signed in with
//	.TenantID        string the tenant
//	.IdPInstanceID   string the identity provider instance
//	.ClientAppID     string the application the identity is issued to
//	.User            RuleUser (.User.Email, .User.Roles, …)
//	.Claims          map[string]any, the claims so far
//
// and its methods .Claim "name" (a claim as a string, "" when missing),
// .Attribute "name" (a user attribute, "" when missing) and
// .ChangePasswordLink "base URL" (userstore's change-password link for
// this login, "" when LoginName, TenantID or IdPInstanceID is empty).
// Functions: lower, upper, trim, join, and text/template's built-ins
// (printf without widths over 64). A range must be over a field of the
// context (.User.Roles, .Claims) and ranges do not nest, so that a rule's
// work is bounded by its data.
type RuleContext struct {
	UserStoreLogin bool
	Host           string
	LoginName      string
	TenantID       string
	IdPInstanceID  string
	ClientAppID    string
	User           RuleUser
	Claims         map[string]any
}

// Claim returns the claim name as a string ("" when missing).
func (c RuleContext) Claim(name string) string {
	s, _ := claimString(c.Claims[name])
	return s
}

// Attribute returns the user attribute name ("" when missing).
func (c RuleContext) Attribute(name string) string { return c.User.Attributes[name] }

// ChangePasswordLink returns userstore's change-password link on base
// for this login (userstore.ChangePasswordLink), or "" when the context
// lacks the login name, tenant or IdP instance. A bad base URL is an
// error.
func (c RuleContext) ChangePasswordLink(base string) (string, error) {
	probe := userstore.ChangePasswordLink{BaseURL: base, LoginName: "x", Tenant: "x", IdPInstance: "x"}
	if _, err := probe.Build(); err != nil {
		return "", err
	}
	l := userstore.ChangePasswordLink{
		BaseURL: base, LoginName: c.LoginName, Tenant: c.TenantID, IdPInstance: c.IdPInstanceID, ClientID: c.ClientAppID,
	}
	s, err := l.Build()
	if err != nil {
		return "", nil
	}
	return s, nil
}

var ruleFuncs = template.FuncMap{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"trim":  strings.TrimSpace,
	"join":  strings.Join,
	// Built-ins replaced by bounded versions.
	"printf": safePrintf,
}

// RulesConfig bounds the rules of a RuleSet. The zero value uses the
// defaults.
type RulesConfig struct {
	// Timeout bounds one rule's run. Default DefaultRuleTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxOutput bounds one rule's output, in bytes. Default
	// DefaultRuleMaxOutput.
	MaxOutput int `json:"maxOutput,omitempty"`
}

type compiledRule struct {
	Rule
	name string
	tmpl *template.Template // nil for a remove without condition
}

// RuleSet is a checked, ordered list of rules. Make it with NewRuleSet;
// it is safe for concurrent use.
type RuleSet struct {
	cfg   RulesConfig
	rules []compiledRule
}

// CheckRule reports whether r would be accepted, for a form that saves
// rules: the error is a *RuleError matching ErrRuleInvalid.
func CheckRule(r Rule) error {
	_, err := compileRule(r, r.Name)
	return err
}

// NewRuleSet checks every rule (see CheckRule) and returns them as a
// RuleSet that applies them in order. The error names every bad rule.
func NewRuleSet(cfg RulesConfig, rules ...Rule) (*RuleSet, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRuleTimeout
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = DefaultRuleMaxOutput
	}
	s := &RuleSet{cfg: cfg}
	var errs []error
	for i, r := range rules {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		c, err := compileRule(r, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.rules = append(s.rules, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func compileRule(r Rule, name string) (compiledRule, error) {
	if name == "" {
		name = "#1"
	}
	bad := func(format string, args ...any) (compiledRule, error) {
		return compiledRule{}, &RuleError{Rule: name, Kind: ErrRuleInvalid, Err: fmt.Errorf(format, args...)}
	}
	switch r.Action {
	case ActionCreate, ActionReplace, ActionRemove:
	default:
		return bad("action %q is not create, replace or remove", r.Action)
	}
	if strings.TrimSpace(r.Claim) == "" || strings.TrimSpace(r.Claim) != r.Claim || len(r.Claim) > 256 {
		return bad("claim type %q is empty, space-padded or too long", r.Claim)
	}
	if protected[r.Claim] {
		return bad("claim %q belongs to the token and cannot be changed by a rule", r.Claim)
	}
	if len(r.Value) > MaxRuleTemplate {
		return bad("template longer than %d bytes", MaxRuleTemplate)
	}
	c := compiledRule{Rule: r, name: name}
	if r.Action == ActionRemove && r.Value == "" {
		return c, nil
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(ruleFuncs).Parse(r.Value)
	if err != nil {
		return bad("template: %v", err)
	}
	if len(t.Templates()) > 1 {
		return bad("template defines other templates")
	}
	if err := checkFields(t.Tree); err != nil {
		return bad("template: %v", err)
	}
	c.tmpl = t
	// Run against a zero context: what fails here would fail at sign-in.
	zero := RuleContext{Claims: map[string]any{}, User: RuleUser{Attributes: map[string]string{}}}
	if _, err := run(context.Background(), t, zero, DefaultRuleTimeout, MaxRuleTemplate+DefaultRuleMaxOutput); err != nil {
		return bad("template: %v", err)
	}
	return c, nil
}

var (
	ctxType  = reflect.TypeFor[RuleContext]()
	userType = reflect.TypeFor[RuleUser]()
)

// checkFields refuses a field chain (".User.Emial") that neither the
// context nor the user has, in every branch of the template, not only the
// ones a zero context runs. It also keeps a template's work bounded by
// its data: a range must be over a field of the context (not a number, a
// variable or a function's result), and ranges do not nest.
func checkFields(tree *parse.Tree) error {
	if tree == nil || tree.Root == nil {
		return nil
	}
	var firstErr error
	fail := func(format string, args ...any) {
		if firstErr == nil {
			firstErr = fmt.Errorf(format, args...)
		}
	}
	var walk func(n parse.Node, inRange bool)
	walk = func(n parse.Node, inRange bool) {
		if firstErr != nil || n == nil {
			return
		}
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c, inRange)
			}
		case *parse.ActionNode:
			walk(x.Pipe, inRange)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c, inRange)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a, inRange)
			}
		case *parse.IfNode:
			walk(x.Pipe, inRange)
			walk(x.List, inRange)
			walk(x.ElseList, inRange)
		case *parse.RangeNode:
			if inRange {
				fail("ranges may not nest")
				return
			}
			if !rangeOverField(x.Pipe) {
				fail("range must be over a field of the context, such as .User.Roles")
				return
			}
			walk(x.Pipe, true)
			walk(x.List, true)
			walk(x.ElseList, true)
		case *parse.WithNode:
			walk(x.Pipe, inRange)
			walk(x.List, inRange)
			walk(x.ElseList, inRange)
		case *parse.FieldNode:
			if !resolves(ctxType, x.Ident) && !resolves(userType, x.Ident) {
				fail("the context has no field .%s", strings.Join(x.Ident, "."))
			}
		case *parse.VariableNode:
			if len(x.Ident) > 1 && x.Ident[0] == "$" && !resolves(ctxType, x.Ident[1:]) {
				fail("the context has no field $.%s", strings.Join(x.Ident[1:], "."))
			}
		case *parse.ChainNode:
			walk(x.Node, inRange)
		}
	}
	walk(tree.Root, false)
	return firstErr
}

// rangeOverField reports whether a range's pipeline is one field chain.
func rangeOverField(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(a.Ident) > 1 && a.Ident[0] == "$"
	}
	return false
}

// safePrintf is printf without widths or precisions over 64, so that a
// template cannot allocate more than its output bound in one call.
func safePrintf(format string, args ...any) (string, error) {
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			if n > 64 {
				return "", errors.New("printf: width or precision over 64")
			}
		default:
			n = 0
		}
		if c == '*' {
			return "", errors.New("printf: * width is not allowed")
		}
	}
	return fmt.Sprintf(format, args...), nil
}

// resolves reports whether the chain of names is fields or methods from t.
func resolves(t reflect.Type, idents []string) bool {
	for _, id := range idents {
		switch {
		case t.Kind() == reflect.Map:
			t = t.Elem()
			continue
		case t.Kind() == reflect.Interface:
			return true // a claim's value: its shape is the provider's
		}
		if m, ok := t.MethodByName(id); ok {
			if m.Type.NumOut() == 0 {
				return false
			}
			t = m.Type.Out(0)
			continue
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		f, ok := t.FieldByName(id)
		if !ok || !f.IsExported() {
			return false
		}
		t = f.Type
	}
	return true
}

// limitWriter stops a template at its output bound or its context's end.
type limitWriter struct {
	ctx context.Context
	b   strings.Builder
	max int
}

var errTooLong = errors.New("output over its bound")

func (w *limitWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.b.Len()+len(p) > w.max {
		return 0, errTooLong
	}
	return w.b.Write(p)
}

// run executes t with a time and output bound. A template that loops
// without writing cannot be stopped from outside; run returns at the
// deadline and the template's goroutine ends on its own.
func run(ctx context.Context, t *template.Template, data RuleContext, timeout time.Duration, maxOut int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w := &limitWriter{ctx: ctx, max: maxOut}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("template panicked: %v", p)
			}
		}()
		done <- t.Execute(w, data)
	}()
	select {
	case err := <-done:
		if err != nil {
			if errors.Is(err, errTooLong) || errors.Is(err, context.DeadlineExceeded) {
				return "", fmt.Errorf("%w: %w", ErrRuleLimit, err)
			}
			return "", err
		}
		return w.b.String(), nil
	case <-ctx.Done():
		return "", fmt.Errorf("%w: ran longer than %s", ErrRuleLimit, timeout)
	}
}

// Apply runs the rules in order on rc.Claims (each rule sees what the
// ones before it did) and returns the resulting claims; rc.Claims itself
// is not changed. A rule that fails or exceeds its bounds stops Apply
// with a *RuleError: no half-applied claims are returned.
func (s *RuleSet) Apply(ctx context.Context, rc RuleContext) (map[string]any, error) {
	out := maps.Clone(rc.Claims)
	if out == nil {
		out = map[string]any{}
	}
	for _, r := range s.rules {
		rc.Claims = out
		var v string
		if r.tmpl != nil {
			var err error
			v, err = run(ctx, r.tmpl, rc, s.cfg.Timeout, s.cfg.MaxOutput)
			if err != nil {
				kind := ErrRuleFailed
				if errors.Is(err, ErrRuleLimit) {
					kind = ErrRuleLimit
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, &RuleError{Rule: r.name, Kind: kind, Err: err}
			}
		}
		switch r.Action {
		case ActionCreate:
			if _, ok := out[r.Claim]; !ok && v != "" {
				out[r.Claim] = v
			}
		case ActionReplace:
			if v != "" {
				out[r.Claim] = v
			}
		case ActionRemove:
			if r.tmpl == nil || strings.TrimSpace(v) == "true" {
				delete(out, r.Claim)
			}
		}
	}
	return out, nil
}

// Len returns the number of rules.
func (s *RuleSet) Len() int { return len(s.rules) }
