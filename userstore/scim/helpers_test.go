package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/teststores"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

const testToken = "scim-test-token"

// stores are the backends every sequence runs on: memstore, SQLite,
// PostgreSQL.
var stores = teststores.All()

// server is the endpoint mounted at /scim/v2 on a real loopback server.
type server struct {
	t     *testing.T
	url   string
	store userstore.Store
}

func newServer(t *testing.T, store userstore.Store, cfg scim.Config) *server {
	t.Helper()
	t.Cleanup(func() { _ = store.Close() })
	h, err := scim.NewHandler(store, cfg, scim.WithTokenVerifier(scim.NewStaticTokens(testToken)))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL + "/scim/v2", store: store}
}

// response is one answer of the endpoint.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with the test token; hdr adds headers ("Name", "value" pairs).
func (s *server) do(method, path, body string, hdr ...string) response {
	s.t.Helper()
	return s.doToken(testToken, method, path, body, hdr...)
}

func (s *server) doToken(token, method, path, body string, hdr ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/scim+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	r := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		require.NoError(s.t, json.Unmarshal(raw, &r.body), "body: %s", raw)
	}
	return r
}

// sections reads a testdata file of "-- name --" sections after a header of
// "#" lines citing where the bodies come from.
func sections(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	out := map[string]string{}
	var name string
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			if name != "" {
				out[name] = b.String()
			}
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --")
			b.Reset()
			continue
		}
		if name != "" {
			b.WriteString(line)
		}
	}
	if name != "" {
		out[name] = b.String()
	}
	return out
}

var trailingComma = regexp.MustCompile(`,(\s*[}\]])`)

// parseLoose decodes a documented JSON body, tolerating the trailing commas
// the documentation has.
func parseLoose(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(trailingComma.ReplaceAllString(s, "$1")), &m), s)
	return m
}

// without returns m without the dotted paths (through lists too).
func without(v any, paths ...string) any {
	for _, p := range paths {
		v = drop(v, strings.Split(p, "."))
	}
	return v
}

func drop(v any, path []string) any {
	switch x := v.(type) {
	case map[string]any:
		c := map[string]any{}
		for k, e := range x {
			c[k] = e
		}
		if len(path) == 1 {
			delete(c, path[0])
		} else if e, ok := c[path[0]]; ok {
			c[path[0]] = drop(e, path[1:])
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = drop(e, path)
		}
		return c
	}
	return v
}

// assertSubset checks that every member of want is in got, recursively for
// objects and element by element for lists.
func assertSubset(t *testing.T, want, got any, at string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !assert.True(t, ok, "%s: want an object, got %v", at, got) {
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !assert.True(t, ok, "%s.%s missing in %v", at, k, got) {
				continue
			}
			assertSubset(t, wv, gv, at+"."+k)
		}
	case []any:
		g, ok := got.([]any)
		if strings.HasSuffix(at, ".schemas") {
			// The SCIM library lists the resource type's extension schema
			// on every user, also one without extension attributes.
			assert.Subset(t, g, w, at)
			return
		}
		if !assert.True(t, ok, "%s: want a list, got %v", at, got) || !assert.Len(t, g, len(w), at) {
			return
		}
		for i := range w {
			assertSubset(t, w[i], g[i], at)
		}
	default:
		assert.Equal(t, want, got, at)
	}
}

// snapshot is the store's content, to check that a refused request changed
// nothing.
func snapshot(t *testing.T, s userstore.Store) (users []userstore.User, groups []userstore.Group) {
	t.Helper()
	ctx := context.Background()
	for u, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
		require.NoError(t, err)
		users = append(users, u)
	}
	for g, err := range s.ListGroups(ctx) {
		require.NoError(t, err)
		groups = append(groups, g)
	}
	return users, groups
}

// memberIDs lists the IDs of a group's members.
// memberIDs lists the members of the group with the SCIM id (or name)
// group.
func memberIDs(t *testing.T, s userstore.Store, group string) []string {
	t.Helper()
	if g, err := s.GetGroupByID(context.Background(), group); err == nil {
		group = g.Name
	}
	var ids []string
	for u, err := range s.ListMembers(context.Background(), group) {
		require.NoError(t, err)
		ids = append(ids, u.ID)
	}
	return ids
}
