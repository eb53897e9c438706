package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
)

// knownAttributes are the top-level attribute names a POST or PUT of a
// resource type may carry, lower-cased: its schema's, the common ones
// (RFC 7643 section 3.1) and its extensions' URNs.
type knownAttributes map[string]bool

func newKnownAttributes(s schema.Schema, exts ...schema.Schema) knownAttributes {
	k := knownAttributes{"schemas": true, "id": true, "externalid": true, "meta": true}
	for _, a := range s.Attributes {
		k[strings.ToLower(a.Name())] = true
	}
	for _, e := range exts {
		k[strings.ToLower(e.ID)] = true
	}
	return k
}

// unknownAttribute returns the first top-level attribute of a JSON object
// body that the resource type does not define, or "". A body that is not a
// JSON object is left to the library to refuse.
func (k knownAttributes) unknownAttribute(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for name := range m {
		if !k[strings.ToLower(name)] {
			return name
		}
	}
	return ""
}

// checkAttributes refuses, with 400 invalidValue, a POST or PUT of a user or
// group naming an attribute the schema does not define: the SCIM library
// would drop it silently, and a client should learn that Usher does not
// keep it. It reports whether the request may go on.
func (h *handler) checkAttributes(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return true
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	var known knownAttributes
	switch {
	case path == "/Users" || strings.HasPrefix(path, "/Users/"):
		known = h.userAttrs
	case path == "/Groups" || strings.HasPrefix(path, "/Groups/"):
		known = h.groupAttrs
	default:
		return true
	}
	if strings.HasSuffix(path, "/.search") {
		return true
	}
	if name := known.unknownAttribute(body); name != "" {
		writeError(w, http.StatusBadRequest, string(scimerrors.ScimTypeInvalidValue), "Unknown attribute "+quote(name)+".")
		return false
	}
	return true
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// serviceProviderConfig serves the library's ServiceProviderConfig with
// etag.supported set: the library always says false, and this endpoint does
// support ETags.
func (h *handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.server.ServeHTTP(rec, r)
	var m map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		copyResponse(w, rec)
		return
	}
	m["etag"] = map[string]bool{"supported": true}
	body, err := json.Marshal(m)
	if err != nil {
		copyResponse(w, rec)
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	_, _ = w.Write(body)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = bytes.NewReader(rec.Body.Bytes()).WriteTo(w)
}
