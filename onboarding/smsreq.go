package onboarding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/userstore"
)

// KindSMS is the kind of the SMS requirement.
const KindSMS = "sms"

// UserGetter finds an application user by ID; every userstore.Store is one.
type UserGetter interface {
	GetUser(ctx context.Context, id string) (userstore.User, error)
}

// SMS is the requirement of a code sent by SMS to the application user's
// phone. It follows a requirement that found the user (Credentials). It is
// answered twice: first {"phone": …}, the number the user types; when it
// matches the user's stored phone (both normalised to E.164) a code goes out
// through Sender; the answer is the same whether or not it matched, so the
// step does not reveal which numbers are registered. Then {"code": …}: the
// code is single use, expires and has an attempt limit (sms.Codes), and a
// wrong one is refused. It is safe for concurrent use.
type SMS struct {
	// Codes issues and verifies the codes. Required.
	Codes *sms.Codes
	// Sender delivers them. Required.
	Sender sms.Sender
	// Users returns the user store of an application's pool. Required.
	Users func(ctx context.Context, app Application) (UserGetter, error)
	// DefaultRegion is the country calling code of numbers typed without
	// one (e.g. "44"), as sms.Normalize takes it; empty accepts only
	// international numbers.
	DefaultRegion string
	// Text is the message; its one "{code}" is replaced by the code.
	// Default: "Your code is {code}".
	Text string
}

// Kind returns KindSMS.
func (SMS) Kind() string { return KindSMS }

// Prompt asks for the phone number, then for the code.
func (SMS) Prompt(context.Context, StepContext) (Prompt, error) {
	return Prompt{Kind: KindSMS, Fields: []string{"phone", "code"},
		Message: "Enter your phone number; then enter the code we send to it."}, nil
}

type smsAnswer struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

func smsKey(sc StepContext) string { return fmt.Sprintf("%s/%d", sc.Activity.ID, sc.Activity.Step) }

// Check sends a code for a phone answer and verifies a code answer.
func (s SMS) Check(ctx context.Context, sc StepContext, answer json.RawMessage) (Result, error) {
	var a smsAnswer
	if err := json.Unmarshal(answer, &a); err != nil || (a.Phone == "") == (a.Code == "") || len(a.Phone) > 64 || len(a.Code) > 16 {
		return Result{}, fmt.Errorf("%w: %w: SMS answer is {\"phone\"} or {\"code\"}", ErrInvalid, ErrRefused)
	}
	if s.Codes == nil || s.Sender == nil || s.Users == nil {
		return Result{}, errors.New("onboarding: sms: Codes, Sender and Users are required")
	}
	if sc.Activity.UserID == "" {
		return Result{}, errors.New("onboarding: sms: no earlier requirement found the user")
	}
	if a.Code != "" {
		if _, err := s.Codes.Verify(ctx, smsKey(sc), a.Code); err != nil {
			if errors.Is(err, sms.ErrWrongCode) || errors.Is(err, sms.ErrExpired) ||
				errors.Is(err, sms.ErrAttemptsExhausted) || errors.Is(err, sms.ErrNoCode) {
				return Result{}, fmt.Errorf("onboarding: sms: %w: %w", ErrRefused, err)
			}
			return Result{}, fmt.Errorf("onboarding: sms: %w", err)
		}
		return Result{Outcome: Met, Message: "SMS code checked."}, nil
	}
	phone, err := sms.Normalize(a.Phone, s.DefaultRegion)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: sms: %w: %w", ErrRefused, err)
	}
	users, err := s.Users(ctx, sc.Application)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: sms: users: %w", err)
	}
	u, err := users.GetUser(ctx, sc.Activity.UserID)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: sms: user: %w", err)
	}
	sent := Result{Outcome: Again, Message: "SMS code requested."}
	if !sms.Equal(u.Phone, phone, s.DefaultRegion) {
		return sent, nil // the same answer as a match
	}
	code, err := s.Codes.Issue(ctx, smsKey(sc), phone)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: sms: %w: %w", ErrRefused, err)
	}
	text := s.Text
	if text == "" {
		text = "Your code is {code}"
	}
	if err := s.Sender.Send(ctx, sms.Message{To: phone, Text: strings.Replace(text, "{code}", code, 1), Code: code}); err != nil {
		return Result{}, fmt.Errorf("onboarding: sms: send: %w", err)
	}
	return sent, nil
}

var _ Requirement = SMS{}
