package activation

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// PortalGuard reply codes. A reply's major error is majorSuccess or
// majorFailure; a failure carries one minor error saying why.
const (
	majorSuccess = 16
	majorFailure = 17

	minorUserNotFound     = 1300 // no user has the username
	minorNoActivationData = 1210 // delete: the user has no activation data
	minorBadAdmin         = 1100 // batch admin missing, wrong password, not a batch admin, or the address throttled
	minorBadRequest       = 1101 // Auth is not 15, _PG_Login_Field_Username_ is not Username, Username is empty, ActivationOTP is unknown
	minorInvalidExtra     = 1102 // an extra field is empty-named, too long or too many
	minorDisabled         = 1200 // account activation is not enabled
	minorInternal         = 1900 // the server failed; see its log
)

// The form fields of a PortalGuard batch request; every other field is
// extra data stored with the code.
const (
	pgFieldAuth          = "Auth"
	pgFieldAdminUser     = "BatchAdminUsername"
	pgFieldAdminPassword = "BatchAdminPassword"
	pgFieldUsernameField = "_PG_Login_Field_Username_"
	pgFieldAction        = "ActivationOTP"
	pgAuthBatch          = "15"
	// pgUsernameField is the only value of pgFieldUsernameField: the
	// username is always in the field Username.
	pgUsernameField = "Username"
)

// pgReply is PortalGuard's XML reply.
type pgReply struct {
	MajError  int
	MinErrors []int
	OTP       string
}

// xmlDeclaration opens every reply, as in every example of PortalGuard's
// article.
const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8"?>`

// encode writes the reply exactly as PortalGuard does, with the XML
// declaration and a self-closed empty min_errors, so that scripts which
// match the text keep working.
func (r pgReply) encode() []byte {
	var b bytes.Buffer
	b.WriteString(xmlDeclaration)
	fmt.Fprintf(&b, `<pg_return component="PG.dll"><maj_error>%d</maj_error>`, r.MajError)
	if len(r.MinErrors) == 0 {
		b.WriteString(`<min_errors count="0"/>`)
	} else {
		fmt.Fprintf(&b, `<min_errors count="%d">`, len(r.MinErrors))
		for _, e := range r.MinErrors {
			fmt.Fprintf(&b, `<min_error>%d</min_error>`, e)
		}
		b.WriteString(`</min_errors>`)
	}
	if r.OTP != "" {
		b.WriteString(`<otp>`)
		_ = xml.EscapeText(&b, []byte(r.OTP))
		b.WriteString(`</otp>`)
	}
	b.WriteString(`</pg_return>`)
	return b.Bytes()
}

// pgRequest is a parsed batch form.
type pgRequest struct {
	AdminUser, AdminPassword string
	Username                 string
	Action                   string            // "create" or "delete"
	Extra                    map[string]string // names exactly as sent
}

// parsePortalGuardForm reads a batch form. It returns an error wrapping
// ErrInvalidInput naming the field at fault. Field names are matched
// exactly, as PortalGuard does: every name that is not a control field
// (Auth, BatchAdminUsername, BatchAdminPassword, _PG_Login_Field_Username_,
// Username, ActivationOTP, in that case) is extra data under the name as
// sent, so that Field1 and field1 are two fields.
func parsePortalGuardForm(form url.Values) (pgRequest, error) {
	var req pgRequest
	if form.Get(pgFieldAuth) != pgAuthBatch {
		return req, fmt.Errorf("%w: field %s must be %s", ErrInvalidInput, pgFieldAuth, pgAuthBatch)
	}
	req.AdminUser = form.Get(pgFieldAdminUser)
	req.AdminPassword = form.Get(pgFieldAdminPassword)
	if got := form.Get(pgFieldUsernameField); got != pgUsernameField {
		return req, fmt.Errorf("%w: field %s must be %s", ErrInvalidInput, pgFieldUsernameField, pgUsernameField)
	}
	req.Username = strings.TrimSpace(form.Get(pgUsernameField))
	if req.Username == "" {
		return req, fmt.Errorf("%w: field %s is empty", ErrInvalidInput, pgUsernameField)
	}
	req.Action = strings.ToLower(strings.TrimSpace(form.Get(pgFieldAction)))
	if req.Action != "create" && req.Action != "delete" {
		return req, fmt.Errorf("%w: field %s must be create or delete", ErrInvalidInput, pgFieldAction)
	}
	known := map[string]bool{
		pgFieldAuth: true, pgFieldAdminUser: true, pgFieldAdminPassword: true,
		pgFieldUsernameField: true, pgFieldAction: true, pgUsernameField: true,
	}
	for name, values := range form {
		if known[name] {
			continue
		}
		if len(values) != 1 {
			return req, fmt.Errorf("%w: extra field %q given %d times", ErrInvalidInput, name, len(values))
		}
		if req.Extra == nil {
			req.Extra = map[string]string{}
		}
		req.Extra[name] = values[0]
	}
	return req, nil
}

// PortalGuardHandler returns an endpoint compatible with PortalGuard's
// Account Activation batch API, as its knowledge-base article documents
// it, so that existing scripts work unchanged: a POST of the form fields
//
//	Auth=15
//	BatchAdminUsername, BatchAdminPassword   a batch admin's credentials
//	_PG_Login_Field_Username_=Username       always Username
//	Username                                 the user to create a code for
//	ActivationOTP=create|delete
//
// and any extra fields, stored with the code. Field names are
// case-sensitive and opaque, as in PortalGuard: Field1 and field1 are two
// fields, and the end user's activation must give each name exactly (unlike
// Create and BatchHandler, which fold the case of names). The reply is
// XML, with the declaration every example of the article shows:
//
//	<?xml version="1.0" encoding="UTF-8"?><pg_return component="PG.dll"><maj_error>16</maj_error><min_errors count="0"/><otp>ABCD-EFGH-JKLM</otp></pg_return>
//
// on success (no otp for delete), and maj_error 17 with one minor error on
// failure: 1300 user not found, 1210 no activation data, 1100 bad batch
// admin (missing, wrong password, not a batch admin, or the client
// address throttled), 1101 bad request (Auth is not 15,
// _PG_Login_Field_Username_ is not Username, Username is empty,
// ActivationOTP is not create or delete), 1102 bad extra data, 1200 not
// enabled, 1900 internal. Other methods than POST are refused with 405
// (and 1101).
//
// Batch admins are Settings.BatchAdmins, checked through the
// Authenticator. A wrong batch-admin login never locks the account: after
// Settings.BatchAdminMaxFailures of them, the client address gets 1100
// without its password being checked, for BatchAdminBlockDuration; every
// wrong and every throttled attempt is audited (AuditBatchAdminFailed).
// The address is the request's RemoteAddr: behind a reverse proxy, set it
// from the proxy's forwarding header first, or every client shares the
// proxy's address and its block.
func (m *Manager) PortalGuardHandler() http.Handler {
	return http.HandlerFunc(m.handlePortalGuard)
}

func (m *Manager) handlePortalGuard(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writePG(w, http.StatusMethodNotAllowed, pgFail(minorBadRequest))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writePG(w, http.StatusBadRequest, pgFail(minorBadRequest))
		return
	}
	req, err := parsePortalGuardForm(r.PostForm)
	if err != nil {
		writePG(w, http.StatusBadRequest, pgFail(minorBadRequest))
		return
	}
	if err := m.checkBatchAdmin(r.Context(), req.AdminUser, req.AdminPassword, remoteHost(r)); err != nil {
		writePG(w, http.StatusOK, pgFail(m.pgMinor(r, err)))
		return
	}
	switch req.Action {
	case "create":
		c, err := m.create(r.Context(), req.Username, req.Extra, true)
		if err != nil {
			writePG(w, http.StatusOK, pgFail(m.pgMinor(r, err)))
			return
		}
		writePG(w, http.StatusOK, pgReply{MajError: majorSuccess, OTP: c.Code})
	case "delete":
		if err := m.Delete(r.Context(), req.Username); err != nil {
			writePG(w, http.StatusOK, pgFail(m.pgMinor(r, err)))
			return
		}
		writePG(w, http.StatusOK, pgReply{MajError: majorSuccess})
	}
}

func (m *Manager) pgMinor(r *http.Request, err error) int {
	switch {
	case errors.Is(err, errBatchRefused):
		return minorBadAdmin
	case errors.Is(err, ErrUserNotFound):
		return minorUserNotFound
	case errors.Is(err, ErrNoActivationData):
		return minorNoActivationData
	case errors.Is(err, ErrInvalidInput):
		return minorInvalidExtra
	case errors.Is(err, ErrDisabled):
		return minorDisabled
	default:
		m.log.ErrorContext(r.Context(), "activation: PortalGuard batch request failed", "err", err)
		return minorInternal
	}
}

func pgFail(minor int) pgReply {
	return pgReply{MajError: majorFailure, MinErrors: []int{minor}}
}

func writePG(w http.ResponseWriter, status int, reply pgReply) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(reply.encode())
}
