package syncapi

import (
	"bufio"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/internal/httpjson"
)

// Keys registers and finds the organization's public key. A server holds
// one organization: RegisterKey refuses another key, or a key of another
// organization, with an error matching ErrOtherKey; OrganizationKey
// returns ErrUnknownOrganization for an organization without a key.
// Implementations keep the key where every server process finds it and
// are safe for concurrent use.
type Keys interface {
	RegisterKey(ctx context.Context, organization string, pemData []byte) (created bool, err error)
	OrganizationKey(ctx context.Context, organization string) (crypto.PublicKey, error)
}

// Applied reports what one POST /changes did, for the application's
// metrics and audit trail: changes applied, refused for a bad signature,
// and refused otherwise.
type Applied func(ctx context.Context, organization string, applied, badSignature, refused int)

// Option configures a handler.
type Option func(*handler)

// WithLogger sets the logger for store failures. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(h *handler) {
		if l != nil {
			h.log = l
		}
	}
}

// WithApplied sets a function told after every POST /changes.
func WithApplied(f Applied) Option { return func(h *handler) { h.applied = f } }

// WithKeyRegistered sets a function told when a key is registered (not
// when the same key comes again).
func WithKeyRegistered(f func(ctx context.Context, organization string)) Option {
	return func(h *handler) { h.registered = f }
}

type handler struct {
	keys       Keys
	store      directory.SyncStore
	log        *slog.Logger
	applied    Applied
	registered func(ctx context.Context, organization string)
}

// NewHandler returns the server's side of the protocol over store, which
// every pushed record is verified for, against keys' key, before it is
// written (directory.NewStoreTarget). Mount it under a prefix with
// http.StripPrefix, behind the application's authentication: the handler
// checks records, not callers. It is safe for concurrent use.
func NewHandler(keys Keys, store directory.SyncStore, opts ...Option) (http.Handler, error) {
	if keys == nil || store == nil {
		return nil, errors.New("syncapi: NewHandler: keys and store are required")
	}
	h := &handler{keys: keys, store: store, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /keys", h.uploadKey)
	mux.HandleFunc("GET /records", h.records)
	mux.HandleFunc("POST /records/lookup", h.lookup)
	mux.HandleFunc("POST /changes", h.changes)
	return mux, nil
}

// writeJSON answers status with v in Usher's JSON shape.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

// writeError answers Usher's JSON error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpjson.Error(w, status, code, msg)
}

func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "syncapi: request failed", "route", r.Pattern, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error; the server's log has the detail")
}

// organization reads the header, or answers 400 and returns "".
func organization(w http.ResponseWriter, r *http.Request) string {
	org := r.Header.Get(OrganizationHeader)
	if org == "" || len(org) > MaxOrganizationLength || strings.ContainsFunc(org, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		writeError(w, http.StatusBadRequest, "invalid_input", fmt.Sprintf("the header %s must name the organization (1 to %d characters)", OrganizationHeader, MaxOrganizationLength))
		return ""
	}
	return org
}

func (h *handler) uploadKey(w http.ResponseWriter, r *http.Request) {
	org := organization(w, r)
	if org == "" {
		return
	}
	pemData, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxKeyBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a public key is at most %d bytes", MaxKeyBytes))
		return
	}
	if _, err := directory.ParsePublicKey(pemData); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_input", err.Error())
		return
	}
	created, err := h.keys.RegisterKey(r.Context(), org, pemData)
	switch {
	case errors.Is(err, ErrOtherKey):
		writeError(w, http.StatusConflict, "conflict", err.Error())
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		if h.registered != nil {
			h.registered(r.Context(), org)
		}
	}
	writeJSON(w, status, map[string]string{"organization": org, "status": "registered"})
}

// target returns the verifying target of the request's organization, or
// answers the request and returns nil.
func (h *handler) target(w http.ResponseWriter, r *http.Request) (*directory.StoreTarget, string) {
	org := organization(w, r)
	if org == "" {
		return nil, ""
	}
	key, err := h.keys.OrganizationKey(r.Context(), org)
	if errors.Is(err, ErrUnknownOrganization) {
		writeError(w, http.StatusForbidden, "forbidden", "the organization has no key registered here; run the agent's init with --upload-key")
		return nil, ""
	}
	if err != nil {
		h.internal(w, r, err)
		return nil, ""
	}
	v, err := directory.NewRecordVerifier(key)
	if err == nil {
		var t *directory.StoreTarget
		if t, err = directory.NewStoreTarget(h.store, v); err == nil {
			return t, org
		}
	}
	h.internal(w, r, err)
	return nil, ""
}

func (h *handler) records(w http.ResponseWriter, r *http.Request) {
	source := r.URL.Query().Get("source")
	if source == "" || len(source) > 256 {
		writeError(w, http.StatusBadRequest, "invalid_input", "source: the source's name is required")
		return
	}
	t, _ := h.target(w, r)
	if t == nil {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for rec, err := range t.Synced(r.Context(), source) {
		if err != nil {
			if r.Context().Err() != nil {
				return // the client went away (Sync stops reading once it has seen one)
			}
			h.log.ErrorContext(r.Context(), "syncapi: reading records", "err", err)
			_ = enc.Encode(wireRecord{Error: "reading the records failed; the server's log has the detail"})
			break
		}
		if err := enc.Encode(wireRecord{Record: rec.Record, Signature: rec.Signature}); err != nil {
			return // the client went away
		}
	}
	_ = bw.Flush()
}

// lookupRequest asks for the records of some of a source's users.
type lookupRequest struct {
	Source      string   `json:"source"`
	ExternalIDs []string `json:"externalIds"`
}

func (h *handler) lookup(w http.ResponseWriter, r *http.Request) {
	t, _ := h.target(w, r)
	if t == nil {
		return
	}
	var body lookupRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBatch*(256+8)+4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_input", "request body: "+clip(err.Error()))
		return
	}
	if body.Source == "" || len(body.Source) > 256 || len(body.ExternalIDs) > MaxBatch {
		writeError(w, http.StatusBadRequest, "invalid_input", fmt.Sprintf("want a source and at most %d external IDs", MaxBatch))
		return
	}
	found, err := t.SyncedRecords(r.Context(), body.Source, body.ExternalIDs)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	out := make([]wireRecord, 0, len(found))
	for _, sr := range found {
		out = append(out, wireRecord{Record: sr.Record, Signature: sr.Signature})
	}
	writeJSON(w, http.StatusOK, struct {
		Records []wireRecord `json:"records"`
	}{out})
}

func (h *handler) changes(w http.ResponseWriter, r *http.Request) {
	t, org := h.target(w, r)
	if t == nil {
		return
	}
	in, err := decodeChanges(http.MaxBytesReader(w, r.Body, MaxBodyBytes), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a batch is at most %d bytes", MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_input", "request body: "+err.Error())
		return
	}
	if len(in) == 0 || len(in) > MaxBatch {
		writeError(w, http.StatusBadRequest, "invalid_input", fmt.Sprintf("changes: want 1 to %d", MaxBatch))
		return
	}
	changes := make([]directory.SignedChange, len(in))
	for i, c := range in {
		changes[i] = c.signed()
	}
	results := make([]result, len(changes))
	var applied, bad, refused int
	for i, err := range t.ApplySyncBatch(r.Context(), changes) {
		switch {
		case err == nil:
			applied++
		case errors.Is(err, directory.ErrBadSignature):
			bad++
			results[i] = result{resultBadSignature, err.Error()}
		default:
			refused++
			results[i] = result{resultRefused, clip(err.Error())}
		}
	}
	if h.applied != nil {
		h.applied(r.Context(), org, applied, bad, refused)
	}
	writeJSON(w, http.StatusOK, struct {
		Results []result `json:"results"`
	}{results})
}

// clip keeps a message short: it may quote a field.
func clip(s string) string {
	if len(s) <= 300 {
		return s
	}
	return s[:300] + "…"
}
