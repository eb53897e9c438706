package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// The sync API, for the sync agent (examples/sync) run on another
// machine: it registers the organization's public key, reads what the
// server holds for a source, and pushes signed changes, which the server
// verifies one by one against the registered key before it writes them
// through directory's StoreTarget — records cross a trust boundary here.
// Every route takes an access token with scope sync and the header
// Usher-Organization.

// maxSyncBatch bounds the changes of one POST /api/sync/changes.
const maxSyncBatch = 1000

// maxSyncBody bounds its body: a record's fields are capped by directory
// (a few KB each), so 1000 of them fit well within.
const maxSyncBody = 32 << 20

// orgOf reads the Usher-Organization header.
func orgOf(r *http.Request) (string, error) {
	org := r.Header.Get("Usher-Organization")
	if org == "" || len(org) > maxOrgIDLen || strings.ContainsFunc(org, isControl) {
		return "", fmt.Errorf("%w: the header Usher-Organization must name the organization (1 to %d characters)", errQuery, maxOrgIDLen)
	}
	return org, nil
}

// uploadSyncKey: POST /api/sync/keys (Content-Type application/x-pem-file)
// answers 201 when registered, 200 when the same key was registered
// already, 409 for another key or organization.
func (a *app) uploadSyncKey(w http.ResponseWriter, r *http.Request) {
	org, err := orgOf(r)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	pemData, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	created, err := a.server.registerSyncKey(r.Context(), org, pemData, "token:"+tokenOf(r.Context()).Name)
	switch {
	case errors.Is(err, errOtherKey):
		writeError(w, http.StatusConflict, codeConflict, err.Error())
		return
	case err != nil:
		writeStoreError(w, a.logger, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		a.auditAdmin(r, "admin.sync_key_registered", "", map[string]string{"organization": org})
	}
	writeJSON(w, status, map[string]string{"organization": org, "status": "registered"})
}

// syncTarget returns the StoreTarget that verifies the organization's
// records, or answers the request and returns nil.
func (a *app) syncTarget(w http.ResponseWriter, r *http.Request) *directory.StoreTarget {
	org, err := orgOf(r)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return nil
	}
	key, err := a.server.syncKey(r.Context(), org)
	if errors.Is(err, errNoRow) {
		writeError(w, http.StatusForbidden, codeForbidden, "the organization has no key registered here; run the agent's init with --upload-key")
		return nil
	}
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return nil
	}
	v, err := directory.NewRecordVerifier(key)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return nil
	}
	t, err := directory.NewStoreTarget(a.users, v)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return nil
	}
	return t
}

// wireRecord is a SyncedRecord on the wire.
type wireRecord struct {
	Record    directory.Record `json:"record"`
	Signature string           `json:"signature"`
}

// syncedRecords: GET /api/sync/records?source=NAME streams the records
// the server holds for the source as JSON lines (application/x-ndjson),
// one page of the store in memory at a time. A failure half-way ends the
// stream with a line {"error": "…"}.
func (a *app) syncedRecords(w http.ResponseWriter, r *http.Request) {
	source := r.URL.Query().Get("source")
	if source == "" || len(source) > 256 {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: source: the source's name is required", errQuery))
		return
	}
	t := a.syncTarget(w, r)
	if t == nil {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for rec, err := range t.Synced(r.Context(), source) {
		if err != nil {
			a.logger.ErrorContext(r.Context(), "sync records", "err", err)
			_ = enc.Encode(map[string]string{"error": "reading the records failed; the server's log has the detail"})
			break
		}
		if err := enc.Encode(wireRecord{rec.Record, rec.Signature}); err != nil {
			return // the client went away
		}
	}
	_ = bw.Flush()
}

// wireChange is a SignedChange on the wire.
type wireChange struct {
	Kind      directory.SyncKind `json:"kind"`
	Record    directory.Record   `json:"record"`
	Before    directory.Record   `json:"before"`
	Fields    []string           `json:"fields,omitempty"`
	Gone      bool               `json:"gone,omitempty"`
	Signature string             `json:"signature"`
}

// applySyncChanges: POST /api/sync/changes {"changes": [...]} (at most
// 1000) answers {"results": [{"error": ""}, …]}, one per change in order:
// each change is verified against the organization's key and applied on
// its own, so a bad one (a forged signature: "bad_signature") does not
// keep the others out; applying a change twice has the effect of once.
func (a *app) applySyncChanges(w http.ResponseWriter, r *http.Request) {
	t := a.syncTarget(w, r)
	if t == nil {
		return
	}
	var body struct {
		Changes []wireChange `json:"changes"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSyncBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: %w", errBadBody, err))
		return
	}
	if len(body.Changes) == 0 || len(body.Changes) > maxSyncBatch {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: changes: want 1 to %d", errBadBody, maxSyncBatch))
		return
	}
	changes := make([]directory.SignedChange, len(body.Changes))
	for i, c := range body.Changes {
		changes[i] = directory.SignedChange{Change: directory.SyncChange{Kind: c.Kind, Record: c.Record, Before: c.Before, Fields: c.Fields, Gone: c.Gone}, Signature: c.Signature}
	}
	type result struct {
		Error   string `json:"error,omitempty"`
		Message string `json:"message,omitempty"`
	}
	results := make([]result, len(changes))
	applied := 0
	for i, err := range t.ApplySyncBatch(r.Context(), changes) {
		switch {
		case err == nil:
			applied++
			a.metrics.syncChanges.WithLabelValues("applied").Inc()
		case errors.Is(err, directory.ErrBadSignature):
			results[i] = result{"bad_signature", err.Error()}
			a.metrics.syncChanges.WithLabelValues("bad_signature").Inc()
		default:
			results[i] = result{"refused", clip(err.Error())}
			a.metrics.syncChanges.WithLabelValues("refused").Inc()
		}
	}
	a.auditAdmin(r, "sync.applied", "", map[string]string{"applied": fmt.Sprint(applied), "refused": fmt.Sprint(len(changes) - applied)})
	writeJSON(w, http.StatusOK, struct {
		Results []result `json:"results"`
	}{results})
}
