package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/usher-sdk/usher/internal/httpjson"
	"github.com/usher-sdk/usher/userstore"
)

// maxBodyBytes caps every API request body.
const maxBodyBytes = 1 << 20

// apiError is the one error body of the API: a stable code for programs
// and a message for people.
type apiError = httpjson.ErrorBody

// Error codes of the API.
const (
	codeInvalidInput    = "invalid_input"
	codeUnauthorized    = "unauthorized"
	codeForbidden       = "forbidden"
	codeNotFound        = "not_found"
	codeConflict        = "conflict"
	codeVersionConflict = "version_conflict"
	codePolicy          = "password_policy"
	codeTooLarge        = "too_large"
	codeInternal        = "internal"
)

// writeJSON answers status with v in Usher's JSON shape.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

// writeError answers Usher's JSON error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpjson.Error(w, status, code, msg)
}

// errBadBody is a request body that is not what the route takes.
var errBadBody = errors.New("request body")

// decodeJSON reads one JSON value into v, refusing unknown fields,
// trailing data and bodies over maxBodyBytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: larger than %d bytes: %w", errBadBody, maxBodyBytes, err)
		}
		return fmt.Errorf("%w: %v", errBadBody, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", errBadBody)
	}
	return nil
}

// writeStoreError answers an error of the user store or the request,
// never with more than the caller may know; internal errors are logged
// and answered without detail.
func writeStoreError(w http.ResponseWriter, logger *slog.Logger, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	var policy *userstore.PolicyError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, err.Error())
	case errors.Is(err, errBadBody), errors.Is(err, errQuery):
		writeError(w, http.StatusBadRequest, codeInvalidInput, err.Error())
	case errors.As(err, &policy):
		writeError(w, http.StatusUnprocessableEntity, codePolicy, policy.Reason)
	case errors.Is(err, userstore.ErrInvalid):
		writeError(w, http.StatusBadRequest, codeInvalidInput, err.Error())
	case errors.Is(err, userstore.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such user")
	case errors.Is(err, userstore.ErrVersionConflict):
		writeError(w, http.StatusPreconditionFailed, codeVersionConflict, "the user changed meanwhile; read it again")
	case errors.Is(err, userstore.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, "username or external ID taken by another user")
	case errors.Is(err, userstore.ErrManaged):
		writeError(w, http.StatusConflict, codeConflict, err.Error())
	default:
		logger.ErrorContext(r.Context(), "api request failed", "method", r.Method, "route", r.Pattern, "err", err)
		writeError(w, http.StatusInternalServerError, codeInternal, "internal error; the server's log has the detail")
	}
}
