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
