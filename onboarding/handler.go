package onboarding

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/internal/httpjson"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sms"
)

// MaxRequestBody is the largest request body the device handler reads:
// 64 KiB.
const MaxRequestBody = 64 << 10

// Error codes of the device protocol, in the "error" field of an error
// answer. They are stable; the "message" is for people.
const (
	CodeInvalidRequest     = httpjson.CodeInvalidRequest // 400: malformed JSON, base64 or fields
	CodeTooLarge           = httpjson.CodeTooLarge       // 413: body over MaxRequestBody
	CodeUnknownApplication = "unknown_application"       // 404
	CodeNotFound           = "not_found"                 // 404: no such onboarding, activity or device
	CodeUnsupportedKey     = "unsupported_key"           // 400: not P-256 or Ed25519
	CodeOutOfOrder         = "out_of_order"              // 409: skipped, repeated or reordered step
	CodeReplay             = "replay"                    // 409: not the current nonce
	CodePending            = "pending"                   // 409: waiting for approval
	CodeFinished           = "finished"                  // 409: onboarding completed
	CodeRejected           = "rejected"                  // 403: onboarding rejected
	CodeRefused            = "refused"                   // 401: wrong answer (e.g. credentials)
	CodeBadCSR             = "bad_csr"                   // 400: malformed CSR or bad signature
	CodeKeyMismatch        = "key_mismatch"              // 400: CSR for another key
	CodeDeviceLimit        = "device_limit"              // 409: user has the most devices allowed
	CodeMethodNotAllowed   = "method_not_allowed"        // 405
	CodeUnavailable        = "unavailable"               // 503: a user source cannot be reached
	CodeThrottled          = "throttled"                 // 429: an SMS code was sent too recently
	CodeInternal           = "internal"                  // 500
)

// StartRequest is the body of POST /v1/onboardings.
type StartRequest struct {
	Application string `json:"application"`
	// PublicKey is the device key's DER SubjectPublicKeyInfo (standard
	// base64 in JSON).
	PublicKey []byte `json:"public_key"`
}

// NonceRequest is the body of POST /v1/onboardings/{id}/status.
type NonceRequest struct {
	Nonce string `json:"nonce"`
}

// AnswerRequest is the body of POST /v1/onboardings/{id}/answers.
type AnswerRequest struct {
	Step   int             `json:"step"`
	Nonce  string          `json:"nonce"`
	Answer json.RawMessage `json:"answer"`
}

// CertificateRequest is the body of POST /v1/onboardings/{id}/certificate.
type CertificateRequest struct {
	// CSR is the PKCS #10 request, DER (standard base64 in JSON), with the
	// current nonce in its challengePassword.
	CSR []byte `json:"csr"`
}

// CertificateResponse is the answer to a CertificateRequest.
type CertificateResponse struct {
	DeviceID string `json:"device_id"`
	// Certificate is the device's certificate, DER (standard base64).
	Certificate []byte `json:"certificate"`
}

// DeviceHandler returns the http.Handler of the device protocol, version 1,
// to mount at the server's root (its paths begin with /v1/). Every request
// and answer is JSON; errors are {"error": code, "message": text} with one of
// the Code constants.
//
//	POST /v1/onboardings                   StartRequest       → 201 State
//	POST /v1/onboardings/{id}/status       NonceRequest       → 200 State
//	POST /v1/onboardings/{id}/answers      AnswerRequest      → 200 State
//	POST /v1/onboardings/{id}/certificate  CertificateRequest → 201 CertificateResponse
//
// The handler is safe for concurrent use.
func (m *Manager) DeviceHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/onboardings", func(w http.ResponseWriter, r *http.Request) {
		var req StartRequest
		if !m.decode(w, r, &req) {
			return
		}
		st, err := m.Start(r.Context(), req.Application, req.PublicKey)
		m.reply(w, r, http.StatusCreated, st, err)
	})
	mux.HandleFunc("POST /v1/onboardings/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		var req NonceRequest
		if !m.decode(w, r, &req) {
			return
		}
		st, err := m.Status(r.Context(), r.PathValue("id"), req.Nonce)
		m.reply(w, r, http.StatusOK, st, err)
	})
	mux.HandleFunc("POST /v1/onboardings/{id}/answers", func(w http.ResponseWriter, r *http.Request) {
		var req AnswerRequest
		if !m.decode(w, r, &req) {
			return
		}
		st, err := m.Answer(r.Context(), r.PathValue("id"), req.Step, req.Nonce, req.Answer)
		m.reply(w, r, http.StatusOK, st, err)
	})
	mux.HandleFunc("POST /v1/onboardings/{id}/certificate", func(w http.ResponseWriter, r *http.Request) {
		var req CertificateRequest
		if !m.decode(w, r, &req) {
			return
		}
		enr, err := m.Enrol(r.Context(), r.PathValue("id"), req.CSR)
		var resp CertificateResponse
		if err == nil {
			resp = CertificateResponse{DeviceID: enr.Device.ID, Certificate: enr.Certificate.Raw}
		}
		m.reply(w, r, http.StatusCreated, resp, err)
	})
	for _, p := range []string{"/v1/onboardings", "/v1/onboardings/{id}/status", "/v1/onboardings/{id}/answers", "/v1/onboardings/{id}/certificate"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", http.MethodPost)
			httpjson.Error(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST")
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Error(w, http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
	return withRemote(mux)
}

// decode reads one JSON object of at most MaxRequestBody bytes into v,
// refusing unknown fields and trailing data, and answers the error itself.
func (m *Manager) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return httpjson.ReadRequest(w, r, MaxRequestBody, v)
}

func (m *Manager) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	httpjson.Reply(w, r, m.log, "onboarding: device request", status, v, err, classify)
}

// classify maps an error of the Manager to its status, code and message.
func classify(err error) (int, string, string) {
	for _, c := range []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{ErrUnknownApplication, http.StatusNotFound, CodeUnknownApplication, "unknown application"},
		{ErrNotFound, http.StatusNotFound, CodeNotFound, "not found"},
		{ErrUnsupportedKey, http.StatusBadRequest, CodeUnsupportedKey, "the key must be ECDSA P-256 or Ed25519"},
		{ErrKeyMismatch, http.StatusBadRequest, CodeKeyMismatch, "the CSR is not for the onboarding's key"},
		{ErrReplay, http.StatusConflict, CodeReplay, "not the onboarding's current nonce"},
		{ErrOutOfOrder, http.StatusConflict, CodeOutOfOrder, "not the onboarding's current step"},
		{ErrPending, http.StatusConflict, CodePending, "waiting for approval"},
		{ErrFinished, http.StatusConflict, CodeFinished, "the onboarding is finished"},
		{ErrRejected, http.StatusForbidden, CodeRejected, "the onboarding was rejected"},
		{ErrDeviceLimit, http.StatusConflict, CodeDeviceLimit, "the user has as many devices as allowed"},
		{ErrInvalid, http.StatusBadRequest, CodeInvalidRequest, "invalid request"},
		{sms.ErrThrottled, http.StatusTooManyRequests, CodeThrottled, "a code was sent too recently; try again later"},
		{ErrRefused, http.StatusUnauthorized, CodeRefused, "answer refused"},
		{directory.ErrUnavailable, http.StatusServiceUnavailable, CodeUnavailable, "a user directory cannot be reached; try again"},
		{issuer.ErrCSRTooLarge, http.StatusBadRequest, CodeBadCSR, "CSR too large"},
		{issuer.ErrMalformedCSR, http.StatusBadRequest, CodeBadCSR, "malformed CSR"},
		{issuer.ErrBadSignature, http.StatusBadRequest, CodeBadCSR, "CSR signature invalid"},
		{issuer.ErrUnsupportedKey, http.StatusBadRequest, CodeUnsupportedKey, "the key must be ECDSA P-256 or Ed25519"},
	} {
		if errors.Is(err, c.err) {
			return c.status, c.code, c.msg
		}
	}
	return http.StatusInternalServerError, CodeInternal, "internal error"
}
