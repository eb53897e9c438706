// Package httpjson writes Usher's one JSON shape of HTTP answers, which
// every package's handlers share: a value, or an error
// {"error": code, "message": text} with a stable code for programs and a
// message for people. Answers are never cached.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// ErrorBody is the JSON of an error answer.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Write answers status with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers status with the error code and message.
func Error(w http.ResponseWriter, status int, code, message string) {
	Write(w, status, ErrorBody{Error: code, Message: message})
}

// Decode reads one JSON object from r into v, refusing unknown fields and
// data after the object. Errors other than an *http.MaxBytesError (from an
// http.MaxBytesReader) describe the problem for the caller.
func Decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return err
		}
		return fmt.Errorf("request body is not the expected JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("request body has data after the JSON object")
	}
	return nil
}

// Error codes every Usher API shares.
const (
	CodeInvalidRequest = "invalid_request" // 400: malformed JSON or fields
	CodeTooLarge       = "too_large"       // 413: a body over its bound
)

// ReadRequest reads one JSON object of at most limit bytes from r's body
// into v (see Decode). When that fails it answers 413 too_large or 400
// invalid_request itself and returns false.
func ReadRequest(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	err := Decode(http.MaxBytesReader(w, r.Body, limit), v)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		Error(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("request body over %d bytes", limit))
		return false
	} else if err != nil {
		Error(w, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return false
	}
	return true
}

// Reply answers v with status when err is nil; otherwise the status, code
// and message that classify maps err to, logging a 500's error (never
// shown to the caller) to log under the message what.
func Reply(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, status int, v any, err error, classify func(error) (int, string, string)) {
	if err == nil {
		Write(w, status, v)
		return
	}
	st, code, msg := classify(err)
	if st == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), what, "path", r.URL.Path, "err", err)
	}
	Error(w, st, code, msg)
}
