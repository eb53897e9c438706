package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/usher-sdk/usher/directory"
)

// ErrBadLink means a paging or delta link (or a Changes cursor) does not
// point into Config.BaseURL; it is refused so the access token is never
// sent elsewhere.
var ErrBadLink = errors.New("graph: link outside the Graph base URL")

// Error is an error answer from Microsoft Graph, from its JSON body
// {"error": {"code": ..., "message": ...}}.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is Graph's error code, such as "Request_ResourceNotFound".
	Code string
	// Message is Graph's human-readable message.
	Message string
	// RetryAfter is the wait the server asked for (429, 503), if any.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("graph: %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap maps the status onto the directory sentinels: 404 is
// directory.ErrNotFound; 429 and 5xx are directory.ErrUnavailable.
func (e *Error) Unwrap() error {
	switch {
	case e.Status == http.StatusNotFound:
		return directory.ErrNotFound
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		return directory.ErrUnavailable
	}
	return nil
}

// parseError builds an *Error from a response body.
func parseError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil && wire.Error.Code != "" {
		e.Code, e.Message = wire.Error.Code, wire.Error.Message
		return e
	}
	e.Code = strings.ReplaceAll(http.StatusText(status), " ", "")
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	e.Message = msg
	return e
}
