package activation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/internal/httpjson"
)

// maxBodyBytes caps request bodies of every handler.
const maxBodyBytes = 64 << 10

// writeJSON answers status with v in Usher's JSON shape.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

// writeError answers Usher's JSON error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpjson.Error(w, status, code, msg)
}

// decodeJSON reads a JSON body into v, refusing unknown fields and
// oversized bodies.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", ErrInvalidInput, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body: more than one JSON value", ErrInvalidInput)
	}
	return nil
}

// BatchHandler returns the back-end's JSON API, authenticated with HTTP
// Basic credentials of a batch admin (Settings.BatchAdmins):
//
//	POST   /codes             {"username":"jdoe","extra":{"birthdate":"1990-01-31"}}
//	                          201 {"code":"ABCD-EFGH-JKLM","expiresAt":"..."}
//	DELETE /codes/{username}  204
//
// Errors are {"error":"...","message":"..."} with 400 invalid_input,
// 401 unauthorized, 404 user_not_found or no_activation_data, 403 disabled,
// 500 internal. Mount it under a prefix with http.StripPrefix.
//
// A wrong batch-admin login never locks the account; after
// Settings.BatchAdminMaxFailures of them the client address gets 401
// without its password being checked, for BatchAdminBlockDuration (see
// Authenticator). The address is the request's RemoteAddr: behind a
// reverse proxy, set it from the proxy's forwarding header first, or
// every client shares the proxy's address and its block.
func (m *Manager) BatchHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /codes", m.batchAuth(m.handleBatchCreate))
	mux.HandleFunc("DELETE /codes/{username}", m.batchAuth(m.handleBatchDelete))
	return mux
}

func (m *Manager) batchAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		err := m.checkBatchAdmin(r.Context(), user, pass, remoteHost(r))
		switch {
		case errors.Is(err, errBatchRefused):
			w.Header().Set("WWW-Authenticate", `Basic realm="usher-activation", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "batch admin credentials are required")
		case err != nil:
			m.log.ErrorContext(r.Context(), "activation: batch admin not checked", "remote", remoteHost(r), "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "internal error")
		default:
			next(w, r)
		}
	}
}

type createRequest struct {
	Username string            `json:"username"`
	Extra    map[string]string `json:"extra,omitempty"`
}

type createResponse struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (m *Manager) handleBatchCreate(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeBatchError(w, err)
		return
	}
	c, err := m.Create(r.Context(), req.Username, req.Extra)
	if err != nil {
		writeBatchError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, createResponse(c))
}

func (m *Manager) handleBatchDelete(w http.ResponseWriter, r *http.Request) {
	if err := m.Delete(r.Context(), r.PathValue("username")); err != nil {
		writeBatchError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeBatchError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalidInput):
		writeError(w, http.StatusBadRequest, "invalid_input", err.Error())
	case errors.Is(err, ErrUserNotFound):
		writeError(w, http.StatusNotFound, "user_not_found", "no user has that username")
	case errors.Is(err, ErrNoActivationData):
		writeError(w, http.StatusNotFound, "no_activation_data", "the user has no activation data")
	case errors.Is(err, ErrDisabled):
		writeError(w, http.StatusForbidden, "disabled", "account activation is not enabled")
	default:
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}
