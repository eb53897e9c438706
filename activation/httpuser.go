package activation

import (
	"errors"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// UserHandler returns the end user's JSON API:
//
//	POST /activate  {"username":"jdoe","code":"abcd efgh jklm","extra":{...},"captcha":"..."}
//	                200 {"token":"...","expiresAt":"..."}
//	POST /password  {"token":"...","password":"..."}
//	                204
//
// It never reveals whether a user exists: Activate's one refusal,
// ErrActivationFailed (an unknown user, a wrong or expired code, wrong
// extra data, missing activation data, a locked account), and a malformed
// request give the same 400 {"error":"activation_failed"}. A refused
// CAPTCHA gives 400 captcha_failed, a used or unknown token 400
// invalid_token, an expired one 400 token_expired (activate again), a
// refused password 400 password_policy with the policy's message.
// Mount it under a prefix with http.StripPrefix.
func (m *Manager) UserHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /activate", m.handleActivate)
	mux.HandleFunc("POST /password", m.handleSetPassword)
	return mux
}

type activateRequest struct {
	Username string            `json:"username"`
	Code     string            `json:"code"`
	Extra    map[string]string `json:"extra,omitempty"`
	Captcha  string            `json:"captcha,omitempty"`
}

type activateResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

const failedMessage = "The username, code or details are not right, or the code can no longer be used."

func (m *Manager) handleActivate(w http.ResponseWriter, r *http.Request) {
	var req activateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_input", "the request is not valid JSON of the expected shape")
		return
	}
	pt, err := m.Activate(r.Context(), Request{
		Username: req.Username, Code: req.Code, Extra: req.Extra, Captcha: req.Captcha, Remote: remoteHost(r),
	})
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, activateResponse(pt))
	case errors.Is(err, ErrCaptchaFailed):
		writeError(w, http.StatusBadRequest, "captcha_failed", "the CAPTCHA was not solved")
	case errors.Is(err, ErrDisabled):
		writeError(w, http.StatusNotFound, "disabled", "account activation is not available")
	case errors.Is(err, ErrActivationFailed), errors.Is(err, ErrInvalidInput):
		writeError(w, http.StatusBadRequest, "activation_failed", failedMessage)
	default:
		m.log.ErrorContext(r.Context(), "activation: activation failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

type passwordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (m *Manager) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_input", "the request is not valid JSON of the expected shape")
		return
	}
	err := m.SetPassword(r.Context(), req.Token, req.Password)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrInvalidToken):
		writeError(w, http.StatusBadRequest, "invalid_token", "the link is not valid or was already used")
	case errors.Is(err, ErrTokenExpired):
		writeError(w, http.StatusBadRequest, "token_expired", "the time to set a password has passed; activate again with your code")
	case errors.Is(err, userstore.ErrPolicy):
		writeError(w, http.StatusBadRequest, "password_policy", err.Error())
	case errors.Is(err, ErrDisabled):
		writeError(w, http.StatusNotFound, "disabled", "account activation is not available")
	default:
		m.log.ErrorContext(r.Context(), "activation: setting password failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}
