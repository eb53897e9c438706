package mail

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Senders wrap them with detail; compare with [errors.Is].
var (
	// ErrConfig reports a configuration that cannot work: a missing field,
	// an unknown MailType, a bad port. Returned by [FromJSON], [NewSMTP]
	// and [NewM365].
	ErrConfig = errors.New("mail: invalid configuration")

	// ErrInvalidMessage reports a message that must not be sent: no
	// recipient, a malformed address, a line break in an address or the
	// subject (header injection). Nothing was sent.
	ErrInvalidMessage = errors.New("mail: invalid message")

	// ErrAuth reports that the mail server or the identity platform
	// refused the configured credentials.
	ErrAuth = errors.New("mail: authentication refused")

	// ErrInsecureAuth reports that credentials would have crossed the
	// network in plain text: the connection is not encrypted and
	// [SMTPConfig.InsecureAllowPlainAuth] is not set. Nothing was sent.
	ErrInsecureAuth = errors.New("mail: refusing to send credentials over an unencrypted connection")

	// ErrTLSUnavailable reports that STARTTLS was required but the server
	// does not offer it. Nothing was sent.
	ErrTLSUnavailable = errors.New("mail: server does not offer STARTTLS")

	// ErrThrottled reports that Microsoft Graph kept answering 429 (or
	// 503) after the configured retries, or asked to wait beyond the
	// context's deadline. The [*GraphError] says how long it asked to wait.
	ErrThrottled = errors.New("mail: throttled")
)

// SMTPError is a reply of an SMTP server that ended a send: the command that
// failed (Op: "dial", "hello", "starttls", "auth", "mail", "rcpt", "data"),
// the server's reply code and text. A refused login unwraps to [ErrAuth].
type SMTPError struct {
	Op      string
	Code    int    // the SMTP reply code, 0 when the server gave none
	Message string // the server's reply text
	err     error  // a sentinel (ErrAuth) or the underlying cause
}

func (e *SMTPError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("mail: smtp %s: %d %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("mail: smtp %s: %s", e.Op, e.Message)
}

// Unwrap returns [ErrAuth] for a refused login, else the underlying cause.
func (e *SMTPError) Unwrap() error { return e.err }

// Temporary reports whether the server's reply was a transient failure
// (4xx): the same message may succeed later.
func (e *SMTPError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// GraphError is an error answer of Microsoft Graph: the HTTP status and the
// error object of the body ({"error":{"code":...,"message":...}}). For 401
// and 403 it unwraps to [ErrAuth], for a 429 or 503 that outlived the
// retries to [ErrThrottled].
type GraphError struct {
	StatusCode int
	Code       string        // Graph's error code, such as "ErrorAccessDenied"
	Message    string        // Graph's error message
	RequestID  string        // the request-id response header, for Microsoft support
	RetryAfter time.Duration // the Retry-After Graph asked for; 0 when none
}

func (e *GraphError) Error() string {
	s := fmt.Sprintf("mail: m365: graph answered %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Unwrap returns [ErrAuth] for 401 and 403, [ErrThrottled] for 429 and 503,
// else nil.
func (e *GraphError) Unwrap() error {
	switch e.StatusCode {
	case 401, 403:
		return ErrAuth
	case 429, 503:
		return ErrThrottled
	}
	return nil
}
