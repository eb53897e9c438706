package sms

import (
	"context"
	"errors"
	"fmt"
)

// Message is one SMS to send.
type Message struct {
	// To is the recipient in E.164 form ("+447700900123"), as
	// [Normalize] returns it.
	To string
	// Text is the message body, at most 1024 bytes of UTF-8.
	Text string
	// Code is the one-time code the text carries, for gateways that
	// compose their own text from a template; it may be empty.
	Code string
}

// Sender delivers SMS messages. Send returns once the gateway has
// accepted msg (not when it reached the phone) or with the reason it did
// not. Implementations must be safe for concurrent use and must not log
// msg.Text or msg.Code, which carry secrets.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// maxText bounds Message.Text.
const maxText = 1024

// ErrInvalidMessage is returned (wrapped) by [Webhook.Send] for a message
// whose To is not E.164 or whose Text or Code is too long.
var ErrInvalidMessage = errors.New("sms: invalid message")

// checkMessage validates msg before it reaches a gateway.
func checkMessage(msg Message) error {
	if !isE164(msg.To) {
		return fmt.Errorf("%w: To is not an E.164 number", ErrInvalidMessage)
	}
	if len(msg.Text) > maxText {
		return fmt.Errorf("%w: Text longer than %d bytes", ErrInvalidMessage, maxText)
	}
	if len(msg.Code) > 32 {
		return fmt.Errorf("%w: Code longer than 32 bytes", ErrInvalidMessage)
	}
	return nil
}

// isE164 reports whether s is "+" and 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	if len(s) < MinDigits+1 || len(s) > MaxDigits+1 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
