package push_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// provider is a SCIM 2.0 service provider run in the test process: the
// elimity-com/scim server over in-memory Users and Groups, behind a
// middleware that checks the bearer token and can fail, hang or slow down
// on demand.
type provider struct {
	*httptest.Server
	users, groups *memResources

	token    string        // expected bearer token; "" accepts any request
	failing  atomic.Bool   // answer 500 to everything
	hanging  atomic.Bool   // never answer (until the client gives up)
	delay    atomic.Int64  // nanoseconds to wait before each request
	requests atomic.Int64  // requests that reached the SCIM server
	groupPut atomic.Int64  // of them, PUTs of a group
	groupPat atomic.Int64  // of them, PATCHes of a group
	refuse   atomic.Value  // string: answer 400 to a request body that holds it
	release  chan struct{} // closed on Close, ends hanging requests
}

func newProvider(t testing.TB, token string) *provider {
	t.Helper()
	p, err := startProvider(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// startProvider starts a provider; stop ends it.
func startProvider(token string) (*provider, error) {
	p := &provider{
		users:   &memResources{unique: "userName", data: map[string]scim.ResourceAttributes{}},
		groups:  &memResources{unique: "displayName", data: map[string]scim.ResourceAttributes{}},
		token:   token,
		release: make(chan struct{}),
	}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: 1000},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          p.users,
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Schema:  schema.CoreGroupSchema(),
				Handler: p.groups,
			},
		},
	})
	if err != nil {
		return nil, err
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(p.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if p.hanging.Load() {
			select {
			case <-r.Context().Done():
			case <-p.release:
			}
			return
		}
		if p.failing.Load() {
			http.Error(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"down for a test"}`, http.StatusInternalServerError)
			return
		}
		if p.token != "" && r.Header.Get("Authorization") != "Bearer "+p.token {
			http.Error(w, `{"status":"401"}`, http.StatusUnauthorized)
			return
		}
		if bad, _ := p.refuse.Load().(string); bad != "" && r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(bad)) {
				http.Error(w, `{"status":"400","scimType":"invalidValue","detail":"refused for a test"}`, http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		p.requests.Add(1)
		if strings.Contains(r.URL.Path, "/Groups/") {
			switch r.Method {
			case http.MethodPut:
				p.groupPut.Add(1)
			case http.MethodPatch:
				p.groupPat.Add(1)
			}
		}
		http.StripPrefix("/scim/v2", srv).ServeHTTP(w, r)
	}))
	return p, nil
}

func (p *provider) stop() {
	close(p.release)
	p.Close()
}

// BaseURL is the SCIM base URL to configure a Follower with.
func (p *provider) BaseURL() string { return p.URL + "/scim/v2" }

// memResources is an in-memory scim.ResourceHandler that keeps one attribute
// (userName, displayName) unique, as RFC 7643 asks of userName, answering 409.
type memResources struct {
	mu     sync.Mutex
	unique string
	next   int
	data   map[string]scim.ResourceAttributes
}

func (m *memResources) resource(id string, a scim.ResourceAttributes) scim.Resource {
	r := scim.Resource{ID: id, Attributes: maps.Clone(a)}
	if e, ok := a["externalId"].(string); ok {
		r.ExternalID = optional.NewString(e)
	}
	return r
}

func (m *memResources) taken(id string, a scim.ResourceAttributes) bool {
	v, _ := a[m.unique].(string)
	for k, o := range m.data {
		if ov, _ := o[m.unique].(string); k != id && strings.EqualFold(ov, v) {
			return true
		}
	}
	return false
}

func (m *memResources) Create(_ *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.taken("", a) {
		return scim.Resource{}, scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict}
	}
	m.next++
	id := "sp-" + strconv.Itoa(m.next)
	m.data[id] = maps.Clone(a)
	return m.resource(id, a), nil
}

func (m *memResources) Get(_ *http.Request, id string) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return m.resource(id, a), nil
}

func (m *memResources) GetAll(_ *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, a := range m.data {
		if params.FilterValidator != nil && params.FilterValidator.PassesFilter(a) != nil {
			continue
		}
		ids = append(ids, id)
	}
	// Stable pages: order by the number in the id.
	num := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "sp-")); return n }
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if num(ids[j]) < num(ids[i]) {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	page := scim.Page{TotalResults: len(ids), Resources: []scim.Resource{}}
	start := max(params.StartIndex, 1) - 1
	for i := start; i < len(ids) && len(page.Resources) < params.Count; i++ {
		page.Resources = append(page.Resources, m.resource(ids[i], m.data[ids[i]]))
	}
	return page, nil
}

func (m *memResources) Replace(_ *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[id]; !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	if m.taken(id, a) {
		return scim.Resource{}, scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict}
	}
	m.data[id] = maps.Clone(a)
	return m.resource(id, a), nil
}

func (m *memResources) Delete(_ *http.Request, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(m.data, id)
	return nil
}

// Patch supports what a provisioning client sends to attributes at the top
// level: add and replace with or without a path, and remove with one.
func (m *memResources) Patch(_ *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	a = maps.Clone(a)
	for _, op := range ops {
		switch {
		case op.Path == nil:
			v, ok := op.Value.(map[string]any)
			if !ok {
				return scim.Resource{}, scimerrors.ScimErrorBadRequest("value must be an object")
			}
			maps.Copy(a, v)
		case op.Path.AttributePath.AttributeName == "members":
			a["members"] = patchMembers(a["members"], op)
		case op.Op == scim.PatchOperationRemove:
			delete(a, op.Path.AttributePath.AttributeName)
		default:
			a[op.Path.AttributePath.AttributeName] = op.Value
		}
	}
	m.data[id] = a
	return m.resource(id, a), nil
}

// snapshot returns a copy of every resource by downstream id.
func (m *memResources) snapshot() map[string]scim.ResourceAttributes {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]scim.ResourceAttributes, len(m.data))
	for k, v := range m.data {
		out[k] = maps.Clone(v)
	}
	return out
}

// byExternalID returns the resources by externalId, failing on a duplicate.
func (m *memResources) byExternalID(t testing.TB) map[string]scim.ResourceAttributes {
	t.Helper()
	out := map[string]scim.ResourceAttributes{}
	for id, a := range m.snapshot() {
		e, _ := a["externalId"].(string)
		if _, dup := out[e]; dup {
			t.Errorf("two downstream resources with externalId %q", e)
		}
		a["id"] = id
		out[e] = a
	}
	return out
}

func (m *memResources) String() string { return fmt.Sprint(m.snapshot()) }

// patchMembers applies an add of members (new values appended once) or a
// remove of members[<filter>] to a group's members.
func patchMembers(cur any, op scim.PatchOperation) []any {
	ms, _ := cur.([]any)
	switch op.Op {
	case scim.PatchOperationRemove:
		if op.Path.ValueExpression == nil {
			return nil
		}
		membersAttr, _ := schema.CoreGroupSchema().Attributes.ContainsAttribute("members")
		v := filter.NewFilterValidator(op.Path.ValueExpression, schema.Schema{Attributes: membersAttr.SubAttributes()})
		var keep []any
		for _, m := range ms {
			if mm, ok := m.(map[string]any); ok && v.PassesFilter(mm) == nil {
				continue
			}
			keep = append(keep, m)
		}
		return keep
	default:
		have := map[any]bool{}
		for _, m := range ms {
			have[m.(map[string]any)["value"]] = true
		}
		add, _ := op.Value.([]any)
		for _, m := range add {
			if mm, ok := m.(map[string]any); ok && !have[mm["value"]] {
				have[mm["value"]] = true
				ms = append(ms, mm)
			}
		}
		return ms
	}
}
