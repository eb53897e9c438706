package scim

import (
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/usher-sdk/usher/internal/scimmap"
)

// Bounds of the attributes and excludedAttributes query parameters.
const (
	maxProjectionPaths = 64
	maxProjectionPath  = 256
)

// attrTrie is a set of attribute paths, by lower-case name: a node with
// all set covers the whole attribute; its children name sub-attributes.
type attrTrie struct {
	all      bool
	children map[string]*attrTrie
}

func (t *attrTrie) add(path []string) {
	for _, p := range path {
		if t.all {
			return
		}
		if t.children == nil {
			t.children = map[string]*attrTrie{}
		}
		next := t.children[p]
		if next == nil {
			next = &attrTrie{}
			t.children[p] = next
		}
		t = next
	}
	t.all, t.children = true, nil
}

// projection is what a GET's attributes and excludedAttributes query
// parameters (RFC 7644, section 3.4.2.5) ask of the resources returned.
// The zero value returns everything.
type projection struct {
	include, exclude *attrTrie
}

// projectionOf reads r's attributes and excludedAttributes: comma-separated
// attribute paths ("userName", "name.givenName", "emails.value", or with
// their schema URN, "urn:ietf:params:scim:schemas:core:2.0:User:userName",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
// matched without regard to case. More than 64 paths, or a path longer than
// 256 bytes, is refused with 400 invalidValue.
func projectionOf(r *http.Request) (projection, error) {
	var p projection
	q := r.URL.Query()
	for _, param := range []struct {
		name string
		trie **attrTrie
	}{{"attributes", &p.include}, {"excludedAttributes", &p.exclude}} {
		n := 0
		for _, v := range q[param.name] {
			for raw := range strings.SplitSeq(v, ",") {
				raw = strings.TrimSpace(raw)
				if raw == "" {
					continue
				}
				n++
				if n > maxProjectionPaths || len(raw) > maxProjectionPath {
					e := scimerrors.ScimErrorInvalidValue
					e.Detail = "Too many or too long attribute paths in " + param.name + "."
					return projection{}, e
				}
				if *param.trie == nil {
					*param.trie = &attrTrie{}
				}
				(*param.trie).add(attrPath(raw))
			}
		}
	}
	return p, nil
}

// attrPath splits a lower-cased attribute path into its names: a core
// schema URN prefix is dropped, an extension schema URN is the first name.
func attrPath(raw string) []string {
	s := strings.ToLower(raw)
	for _, core := range []string{scimmap.UserSchema, scimmap.GroupSchema} {
		if rest, ok := strings.CutPrefix(s, strings.ToLower(core)+":"); ok {
			return strings.Split(rest, ".")
		}
	}
	ext := strings.ToLower(scimmap.EnterpriseUserSchema)
	if s == ext {
		return []string{ext}
	}
	if rest, ok := strings.CutPrefix(s, ext+":"); ok {
		return append([]string{ext}, strings.Split(rest, ".")...)
	}
	return strings.Split(s, ".")
}

// returns reports whether the top-level attribute name (lower case) is
// returned, wholly or in part.
func (p projection) returns(name string) bool {
	if p.include != nil && p.include.children[name] == nil {
		return false
	}
	if p.exclude != nil {
		if c := p.exclude.children[name]; c != nil && c.all {
			return false
		}
	}
	return true
}

// apply returns the attributes of a resource as p asks, without changing
// attrs. What the SCIM library adds to every resource itself (schemas, id,
// externalId, meta) is always returned.
func (p projection) apply(attrs map[string]any) map[string]any {
	out := attrs
	if p.include != nil {
		out, _ = keep(out, p.include).(map[string]any)
	}
	if p.exclude != nil {
		out, _ = drop(out, p.exclude).(map[string]any)
	}
	return out
}

// keep returns the parts of v that t names.
func keep(v any, t *attrTrie) any {
	if t.all {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sub := range x {
			if c := t.children[strings.ToLower(k)]; c != nil {
				if kept := keep(sub, c); kept != nil {
					out[k] = kept
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			if kept := keep(e, t); kept != nil {
				out = append(out, kept)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil // a simple value has no sub-attributes
}

// drop returns v without the parts t names.
func drop(v any, t *attrTrie) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, sub := range x {
			c := t.children[strings.ToLower(k)]
			switch {
			case c == nil:
				out[k] = sub
			case c.all:
			default:
				out[k] = drop(sub, c)
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, drop(e, t))
		}
		return out
	}
	return v
}
