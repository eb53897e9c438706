package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/usher-sdk/usher/userstore"
)

// Store is what the endpoint needs of a userstore; every userstore.Store has
// it.
type Store interface {
	userstore.UserReader
	userstore.UserWriter
	userstore.GroupStore
}

// Defaults of Config.
const (
	DefaultSource       = "scim"
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultMaxPageSize  = 100
)

// Config configures the endpoint. The zero value is usable: every zero field
// takes the default in its comment.
type Config struct {
	// Source is the userstore.User.Source of users created through SCIM,
	// and the source an externalId filter looks in. Default "scim".
	Source string `json:"source,omitempty"`
	// MaxBodyBytes caps a request body; a longer one is refused with 413.
	// Default 1 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// MaxPageSize caps the resources of one list response (the count
	// parameter). Default 100.
	MaxPageSize int `json:"maxPageSize,omitempty"`
	// BaseURL, when set, makes meta.location and the Location header
	// absolute, e.g. "https://usher.example.com/scim/v2". Default: relative.
	BaseURL string `json:"baseURL,omitempty"`
}

// Option sets a dependency of the handler.
type Option func(*handler)

// WithTokenVerifier sets the verifier of bearer tokens. Required.
func WithTokenVerifier(v TokenVerifier) Option {
	return func(h *handler) { h.tokens = v }
}

// WithLogger sets the logger. Default: discard. Refused tokens (never the
// token itself) and every change made through SCIM (user created, updated,
// deleted; group created, deleted; member added, removed — by ID, never
// by username) are logged at Info, store failures at Error.
func WithLogger(l *slog.Logger) Option {
	return func(h *handler) {
		if l != nil {
			h.log = l
		}
	}
}

type handler struct {
	cfg    Config
	store  Store
	tokens TokenVerifier
	log    *slog.Logger
	server http.Handler

	userAttrs, groupAttrs knownAttributes
}

// NewHandler returns the SCIM endpoint over store; see the package doc for
// its routes. It fails when store or the token verifier is missing or the
// configuration is invalid, naming every problem. The handler is safe for
// concurrent use; it keeps no state of its own between requests.
func NewHandler(store Store, cfg Config, opts ...Option) (http.Handler, error) {
	h := &handler{cfg: cfg, store: store, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(h)
	}
	if h.cfg.Source == "" {
		h.cfg.Source = DefaultSource
	}
	if h.cfg.MaxBodyBytes == 0 {
		h.cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if h.cfg.MaxPageSize == 0 {
		h.cfg.MaxPageSize = DefaultMaxPageSize
	}
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("scim: no store"))
	}
	if h.tokens == nil {
		errs = append(errs, errors.New("scim: no token verifier (WithTokenVerifier)"))
	}
	if h.cfg.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("scim: maxBodyBytes %d is negative", h.cfg.MaxBodyBytes))
	}
	if h.cfg.MaxPageSize < 0 {
		errs = append(errs, fmt.Errorf("scim: maxPageSize %d is negative", h.cfg.MaxPageSize))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	userSchema := schema.CoreUserSchema()
	enterprise := schema.ExtensionEnterpriseUser()
	var serverOpts []lib.ServerOption
	if h.cfg.BaseURL != "" {
		serverOpts = append(serverOpts, lib.WithBaseURL(h.cfg.BaseURL))
	}
	srv, err := lib.NewServer(&lib.ServerArgs{
		ServiceProviderConfig: &lib.ServiceProviderConfig{
			DocumentationURI: optional.NewString("https://pkg.go.dev/github.com/usher-sdk/usher/userstore/scim"),
			AuthenticationSchemes: []lib.AuthenticationScheme{{
				Type:        lib.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "Authentication with a SCIM-scoped bearer token of the Usher server.",
				SpecURI:     optional.NewString("https://www.rfc-editor.org/rfc/rfc6750"),
				Primary:     true,
			}},
			MaxResults:       h.cfg.MaxPageSize,
			SupportFiltering: true,
			SupportPatch:     true,
		},
		ResourceTypes: []lib.ResourceType{{
			ID:               optional.NewString("User"),
			Name:             "User",
			Description:      optional.NewString("User Account"),
			Endpoint:         "/Users",
			Schema:           userSchema,
			SchemaExtensions: []lib.SchemaExtension{{Schema: enterprise}},
			Handler:          &users{h: h, schema: userSchema, ext: enterprise},
		}, {
			ID:          optional.NewString("Group"),
			Name:        "Group",
			Description: optional.NewString("Group"),
			Endpoint:    "/Groups",
			Schema:      schema.CoreGroupSchema(),
			Handler:     &groups{h: h},
		}},
	}, serverOpts...)
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	h.server = srv
	h.userAttrs = newKnownAttributes(userSchema, enterprise)
	h.groupAttrs = newKnownAttributes(schema.CoreGroupSchema())
	return h, nil
}

// ServeHTTP checks the token and the body size, then hands the request to
// the SCIM library.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := bearerToken(r)
	if ok {
		var err error
		ok, err = h.tokens.VerifySCIMToken(r.Context(), token)
		if err != nil {
			h.log.ErrorContext(r.Context(), "scim: token verification failed", "err", err, "remote", r.RemoteAddr)
			writeError(w, http.StatusInternalServerError, "", "Internal error.")
			return
		}
	}
	if !ok {
		h.log.InfoContext(r.Context(), "scim: request refused", "reason", "missing or invalid bearer token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, http.StatusUnauthorized, "", "A valid bearer token is required.")
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > h.cfg.MaxBodyBytes {
			h.tooLarge(w)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBodyBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, string(scimerrors.ScimTypeInvalidSyntax), "The request body could not be read.")
			return
		}
		if int64(len(body)) > h.cfg.MaxBodyBytes {
			h.tooLarge(w)
			return
		}
		if !h.checkAttributes(w, r, body) {
			return
		}
		body = entraBooleans(r, body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	if r.Method == http.MethodGet && strings.TrimPrefix(r.URL.Path, "/v2") == "/ServiceProviderConfig" {
		h.serviceProviderConfig(w, r)
		return
	}
	h.server.ServeHTTP(w, r)
}

func (h *handler) tooLarge(w http.ResponseWriter) {
	writeError(w, http.StatusRequestEntityTooLarge, "",
		"The request body exceeds the limit of "+strconv.FormatInt(h.cfg.MaxBodyBytes, 10)+" bytes.")
}

// writeError writes a SCIM error response (RFC 7644 section 3.12).
func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	body, _ := json.Marshal(scimerrors.ScimError{Status: status, ScimType: scimerrors.ScimType(scimType), Detail: detail})
	_, _ = w.Write(body)
}

// errPreconditionFailed is the SCIM error of a stale If-Match.
var errPreconditionFailed = scimerrors.ScimError{
	Status: http.StatusPreconditionFailed,
	Detail: "The resource has changed since the version given in If-Match.",
}

// storeError maps an error of the store or of scimmap to the SCIM error the
// library writes; an unexpected one is logged and answered with a generic 500.
func (h *handler) storeError(r *http.Request, err error, id string) error {
	var se scimerrors.ScimError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, errFilter):
		return scimerrors.ScimErrorInvalidFilter
	case errors.Is(err, userstore.ErrNotFound):
		return scimerrors.ScimErrorResourceNotFound(id)
	case errors.Is(err, userstore.ErrConflict):
		return scimerrors.ScimErrorUniqueness
	case errors.Is(err, userstore.ErrVersionConflict):
		return errPreconditionFailed
	case errors.Is(err, userstore.ErrInvalid):
		e := scimerrors.ScimErrorInvalidValue
		var ve *userstore.ValidationError
		if errors.As(err, &ve) {
			e.Detail = ve.Field + " " + ve.Reason
		}
		return e
	}
	if isInvalid(err) {
		e := scimerrors.ScimErrorInvalidValue
		e.Detail = err.Error()
		return e
	}
	h.log.ErrorContext(r.Context(), "scim: store failed", "err", err, "method", r.Method)
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "Internal error."}
}

var _ http.Handler = (*handler)(nil)
