// Package graphtest is a fake Microsoft Graph server for tests: a real HTTP
// server on loopback (httptest) that follows the documented contract of
// the parts of Graph that directory/graph uses.
//
//   - The Microsoft identity platform token endpoint,
//     POST /{tenant}/oauth2/v2.0/token, client credentials grant (client ID
//     and secret in the form or in HTTP Basic authentication).
//     https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//   - GET /v1.0/users and GET /v1.0/users/{id | userPrincipalName}, with
//     $select and $top; the id is always returned.
//     https://learn.microsoft.com/en-us/graph/api/user-list
//   - GET /v1.0/groups/{id}/transitiveMembers[/microsoft.graph.user]: a flat
//     list of all nested members, each with its @odata.type.
//     https://learn.microsoft.com/en-us/graph/api/group-list-transitivemembers
//   - GET /v1.0/users/{id | userPrincipalName}/transitiveMemberOf[/microsoft.graph.group]:
//     the groups the user is in, directly or through nested groups, with
//     $select (id, displayName) and $top, paged.
//     https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof
//   - POST /v1.0/users/{id}/checkMemberGroups {"groupIds": [...]}: the
//     groups of the list the user is a member of, transitively.
//   - Paging: a page that is not the last carries @odata.nextLink, a URL with
//     an opaque $skiptoken that keeps the other query parameters.
//     https://learn.microsoft.com/en-us/graph/paging
//   - GET /v1.0/users/delta: a round of pages linked by @odata.nextLink that
//     ends with @odata.deltaLink ($deltatoken); calling the deltaLink later
//     returns what changed since, deleted users as
//     {"id": ..., "@removed": {"reason": "changed"}}.
//     https://learn.microsoft.com/en-us/graph/delta-query-users
//     https://learn.microsoft.com/en-us/graph/api/user-delta
//   - Errors as {"error": {"code": ..., "message": ...}} with the HTTP
//     status; throttling as 429 with a Retry-After header in seconds.
//     https://learn.microsoft.com/en-us/graph/errors
//     https://learn.microsoft.com/en-us/graph/throttling
//
// A Server is safe for concurrent use. Tokens, $skiptoken and $deltatoken
// values are opaque to clients.
package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// User is a user object. Fields map to Graph's user properties of the same
// name; Extra holds any other property by its Graph name.
type User struct {
	ID                string
	DisplayName       string
	UserPrincipalName string
	Mail              string
	OtherMails        []string
	MobilePhone       string
	BusinessPhones    []string
	Department        string
	EmployeeType      string
	AccountEnabled    bool
	Extra             map[string]any
}

func (u User) props() map[string]any {
	m := map[string]any{
		"id":                u.ID,
		"displayName":       nullable(u.DisplayName),
		"userPrincipalName": nullable(u.UserPrincipalName),
		"mail":              nullable(u.Mail),
		"otherMails":        orEmpty(u.OtherMails),
		"mobilePhone":       nullable(u.MobilePhone),
		"businessPhones":    orEmpty(u.BusinessPhones),
		"department":        nullable(u.Department),
		"employeeType":      nullable(u.EmployeeType),
		"accountEnabled":    u.AccountEnabled,
		"givenName":         nil,
		"surname":           nil,
		"jobTitle":          nil,
	}
	for k, v := range u.Extra {
		m[k] = v
	}
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Config sets the credentials the fake accepts and its paging.
type Config struct {
	TenantID     string // default "tenant"
	ClientID     string // default "client"
	ClientSecret string // default "secret"
	// MaxPageSize caps the page size whatever $top asks, so tests see
	// paging with few users. Default 100 (Graph's default for users).
	MaxPageSize int
}

// Server is the fake. Create it with NewServer and Close it when done.
type Server struct {
	cfg Config
	srv *httptest.Server

	mu       sync.Mutex
	users    map[string]*User // by id
	groups   map[string][]string
	names    map[string]string // group id -> displayName
	version  int
	changed  map[string]int // user id -> version of its last change
	tokens   map[string]bool
	throttle []throttleRule
	failures []failure
	requests []string
}

type throttleRule struct {
	status     int
	retryAfter string
}

type failure struct {
	status        int
	code, message string
}

// NewServer starts a fake Graph server.
func NewServer(cfg Config) *Server {
	if cfg.TenantID == "" {
		cfg.TenantID = "tenant"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "client"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "secret"
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 100
	}
	s := &Server{
		cfg:     cfg,
		users:   map[string]*User{},
		groups:  map[string][]string{},
		names:   map[string]string{},
		changed: map[string]int{},
		tokens:  map[string]bool{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") {
			s.api(w, r)
			return
		}
		tenant, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
		if !ok || r.Method != http.MethodPost || strings.Contains(tenant, "/") {
			http.NotFound(w, r)
			return
		}
		s.token(w, r, tenant)
	}))
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// BaseURL is the Graph root, like https://graph.microsoft.com/v1.0.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1.0" }

// TokenURL is the token endpoint of the tenant.
func (s *Server) TokenURL() string { return s.srv.URL + "/" + s.cfg.TenantID + "/oauth2/v2.0/token" }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Config returns the server's configuration, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// PutUser adds or replaces a user and records the change for delta.
func (s *Server) PutUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	cp.OtherMails = slices.Clone(u.OtherMails)
	s.users[u.ID] = &cp
	s.touch(u.ID)
}

// DeleteUser deletes a user; delta reports it as removed with reason
// "changed" (Graph soft-deletes users), and it leaves every group.
func (s *Server) DeleteUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
	for g, ms := range s.groups {
		s.groups[g] = slices.DeleteFunc(ms, func(m string) bool { return m == id })
	}
	s.touch(id)
}

// SetGroup sets the direct members of a group: user ids or group ids.
func (s *Server) SetGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = slices.Clone(members)
}

// SetGroupName sets the displayName of a group.
func (s *Server) SetGroupName(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[id] = name
}

// Throttle makes the next n API requests (not token requests) fail with
// status (429 or 503) and the Retry-After header retryAfter (omitted when
// empty).
func (s *Server) Throttle(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.throttle = append(s.throttle, throttleRule{status, retryAfter})
	}
}

// FailNext makes the next API request fail with status and a Graph error
// body.
func (s *Server) FailNext(status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status, code, message})
}

// Requests returns the method, path and query of every API request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) touch(id string) {
	s.version++
	s.changed[id] = s.version
}

// writeError writes a Graph error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]string{"request-id": "00000000-0000-0000-0000-000000000000"},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal")
	_ = json.NewEncoder(w).Encode(v)
}

// token implements the client credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	tokenErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if tenant != s.cfg.TenantID {
		tokenErr(http.StatusBadRequest, "invalid_tenant", "AADSTS90002: Tenant not found.")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		tokenErr(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: grant type not supported.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
		tokenErr(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	}
	if r.PostForm.Get("scope") != "https://graph.microsoft.com/.default" {
		tokenErr(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

// api serves /v1.0/.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	var rule *throttleRule
	if len(s.throttle) > 0 {
		rule = &s.throttle[0]
		s.throttle = s.throttle[1:]
	}
	var fail *failure
	if rule == nil && len(s.failures) > 0 {
		fail = &s.failures[0]
		s.failures = s.failures[1:]
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	authorized := s.tokens[tok]
	s.mu.Unlock()

	if !authorized {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
		return
	}
	if rule != nil {
		if rule.retryAfter != "" {
			w.Header().Set("Retry-After", rule.retryAfter)
		}
		code := "TooManyRequests"
		if rule.status == http.StatusServiceUnavailable {
			code = "serviceNotAvailable"
		}
		writeError(w, rule.status, code, "Too many requests. Retry after the given time.")
		return
	}
	if fail != nil {
		writeError(w, fail.status, fail.code, fail.message)
		return
	}

	path := strings.TrimPrefix(r.URL.Path, "/v1.0")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "users":
		s.list(w, r, listUsers, "")
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users" && parts[1] == "delta":
		s.delta(w, r)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		s.getUser(w, r, parts[1])
	case r.Method == http.MethodGet && (len(parts) == 3 || len(parts) == 4) && parts[0] == "users" && parts[2] == "transitiveMemberOf":
		if len(parts) == 4 && parts[3] != "microsoft.graph.group" {
			writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported OData cast "+parts[3]+".")
			return
		}
		s.memberOf(w, r, parts[1])
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "users" && parts[2] == "checkMemberGroups":
		s.checkMemberGroups(w, r, parts[1])
	case r.Method == http.MethodGet && (len(parts) == 3 || len(parts) == 4) && parts[0] == "groups" && parts[2] == "transitiveMembers":
		if len(parts) == 4 && parts[3] != "microsoft.graph.user" {
			writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported OData cast "+parts[3]+".")
			return
		}
		s.mu.Lock()
		_, ok := s.groups[parts[1]]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", parts[1]))
			return
		}
		s.list(w, r, listGroup, parts[1])
	default:
		writeError(w, http.StatusBadRequest, "BadRequest", "Unsupported request: "+r.Method+" "+path)
	}
}

// knownProps are the user properties $select may name.
var knownProps = func() map[string]bool {
	m := map[string]bool{}
	for k := range (User{}).props() {
		m[k] = true
	}
	return m
}()

// selection parses $select; nil means all properties.
func (s *Server) selection(sel string) ([]string, error) {
	if sel == "" {
		return nil, nil
	}
	var out []string
	for p := range strings.SplitSeq(sel, ",") {
		p = strings.TrimSpace(p)
		ok := knownProps[p]
		if !ok {
			s.mu.Lock()
			for _, u := range s.users {
				if _, ok = u.Extra[p]; ok {
					break
				}
			}
			s.mu.Unlock()
		}
		if !ok {
			//lint:ignore ST1005 the message is Graph's own wording, sent in an error body
			return nil, fmt.Errorf("Could not find a property named '%s' on type 'microsoft.graph.user'.", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func project(u *User, sel []string, withType bool) map[string]any {
	all := u.props()
	out := map[string]any{}
	if sel == nil {
		out = all
	} else {
		out["id"] = u.ID
		for _, p := range sel {
			out[p] = all[p]
		}
	}
	if withType {
		out["@odata.type"] = "#microsoft.graph.user"
	}
	return out
}

// pageToken is the state behind $skiptoken and $deltatoken.
type pageToken struct {
	Kind   string `json:"k"`           // listUsers, listGroup, listOf, deltaRound
	Group  string `json:"g,omitempty"` // listGroup
	Select string `json:"s,omitempty"`
	Top    int    `json:"t,omitempty"`
	Offset int    `json:"o,omitempty"`
	From   int    `json:"f,omitempty"` // delta: changes after this version
	To     int    `json:"u,omitempty"` // delta: up to this version
	Init   bool   `json:"i,omitempty"` // delta: first round, every user
}

const (
	listUsers  = "users"
	listGroup  = "group"
	listOf     = "memberOf"
	deltaRound = "delta"
)

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	return t, err
}

func (s *Server) pageSize(top string) (int, error) {
	n := 100
	if top != "" {
		v, err := strconv.Atoi(top)
		if err != nil || v < 1 || v > 999 {
			//lint:ignore ST1005 the message is Graph's own wording, sent in an error body
			return 0, fmt.Errorf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", top)
		}
		n = v
	}
	return min(n, s.cfg.MaxPageSize), nil
}

// list serves a paged collection of users.
func (s *Server) list(w http.ResponseWriter, r *http.Request, kind, group string) {
	q := r.URL.Query()
	t := pageToken{Kind: kind, Group: group, Select: q.Get("$select")}
	if skip := q.Get("$skiptoken"); skip != "" {
		var err error
		if t, err = decodeToken(skip); err != nil || t.Kind != kind || t.Group != group {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
			return
		}
	} else {
		n, err := s.pageSize(q.Get("$top"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
		t.Top = n
	}
	sel, err := s.selection(t.Select)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	s.mu.Lock()
	var ids []string
	if kind == listGroup {
		ids = s.transitiveUsers(group)
	} else {
		for id := range s.users {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	end := min(t.Offset+t.Top, len(ids))
	value := []map[string]any{}
	for _, id := range ids[min(t.Offset, len(ids)):end] {
		value = append(value, project(s.users[id], sel, kind == listGroup))
	}
	s.mu.Unlock()
	body := map[string]any{"@odata.context": s.BaseURL() + "/$metadata#users", "value": value}
	if end < len(ids) {
		next := t
		next.Offset = end
		body["@odata.nextLink"] = s.link(r.URL.Path, map[string]string{"$skiptoken": encodeToken(next)}, t)
	}
	writeJSON(w, body)
}

// link builds a next or delta link that keeps $select and $top.
func (s *Server) link(path string, tokens map[string]string, t pageToken) string {
	v := url.Values{}
	if t.Select != "" {
		v.Set("$select", t.Select)
	}
	if t.Top != 0 && t.Kind != deltaRound {
		v.Set("$top", strconv.Itoa(t.Top))
	}
	for k, val := range tokens {
		v.Set(k, val)
	}
	return s.srv.URL + path + "?" + v.Encode()
}

// transitiveUsers returns the ids of the users in group and its nested
// groups, sorted. The caller holds s.mu.
func (s *Server) transitiveUsers(group string) []string {
	seen := map[string]bool{}
	var users []string
	var walk func(g string)
	walk = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, m := range s.groups[g] {
			if _, isGroup := s.groups[m]; isGroup {
				walk(m)
			} else if _, isUser := s.users[m]; isUser && !seen[m] {
				seen[m] = true
				users = append(users, m)
			}
		}
	}
	walk(group)
	slices.Sort(users)
	return users
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, key string) {
	sel, err := s.selection(r.URL.Query().Get("$select"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	s.mu.Lock()
	u := s.findUser(key)
	var body map[string]any
	if u != nil {
		body = project(u, sel, false)
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
		return
	}
	writeJSON(w, body)
}

// findUser finds a user by id or userPrincipalName (case-insensitive). The
// caller holds s.mu.
func (s *Server) findUser(key string) *User {
	if u, ok := s.users[key]; ok {
		return u
	}
	for _, u := range s.users {
		if u.UserPrincipalName != "" && strings.EqualFold(u.UserPrincipalName, key) {
			return u
		}
	}
	return nil
}

// memberOf serves a user's transitiveMemberOf: the groups, sorted by id,
// whose transitive members include the user.
func (s *Server) memberOf(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	t := pageToken{Kind: listOf, Group: key, Select: q.Get("$select")}
	if skip := q.Get("$skiptoken"); skip != "" {
		var err error
		if t, err = decodeToken(skip); err != nil || t.Kind != listOf || t.Group != key {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
			return
		}
	} else {
		n, err := s.pageSize(q.Get("$top"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
		t.Top = n
	}
	for p := range strings.SplitSeq(t.Select, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "id" && p != "displayName" {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.group'.", p))
			return
		}
	}
	s.mu.Lock()
	u := s.findUser(key)
	var ids []string
	if u != nil {
		for g := range s.groups {
			if slices.Contains(s.transitiveUsers(g), u.ID) {
				ids = append(ids, g)
			}
		}
		slices.Sort(ids)
	}
	end := min(t.Offset+t.Top, len(ids))
	value := []map[string]any{}
	for _, id := range ids[min(t.Offset, len(ids)):end] {
		value = append(value, map[string]any{"@odata.type": "#microsoft.graph.group", "id": id, "displayName": nullable(s.names[id])})
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
		return
	}
	body := map[string]any{"@odata.context": s.BaseURL() + "/$metadata#groups", "value": value}
	if end < len(ids) {
		next := t
		next.Offset = end
		body["@odata.nextLink"] = s.link(r.URL.Path, map[string]string{"$skiptoken": encodeToken(next)}, t)
	}
	writeJSON(w, body)
}

func (s *Server) checkMemberGroups(w http.ResponseWriter, r *http.Request, key string) {
	var req struct {
		GroupIDs []string `json:"groupIds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.GroupIDs) == 0 || len(req.GroupIDs) > 20 {
		writeError(w, http.StatusBadRequest, "Request_BadRequest", "groupIds must list 1 to 20 group ids.")
		return
	}
	s.mu.Lock()
	u := s.findUser(key)
	var in []string
	if u != nil {
		for _, g := range req.GroupIDs {
			if slices.Contains(s.transitiveUsers(g), u.ID) {
				in = append(in, g)
			}
		}
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
		return
	}
	writeJSON(w, map[string]any{"value": orEmpty(in)})
}

// delta serves /users/delta: a first round lists every user, later rounds
// (from a deltaLink) the users changed since the round before.
func (s *Server) delta(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var t pageToken
	switch {
	case q.Get("$skiptoken") != "":
		var err error
		if t, err = decodeToken(q.Get("$skiptoken")); err != nil || t.Kind != deltaRound {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
			return
		}
	case q.Get("$deltatoken") != "":
		prev, err := decodeToken(q.Get("$deltatoken"))
		if err != nil || prev.Kind != deltaRound {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $deltatoken.")
			return
		}
		s.mu.Lock()
		t = pageToken{Kind: deltaRound, Select: prev.Select, Top: prev.Top, From: prev.To, To: s.version}
		s.mu.Unlock()
	default:
		n, err := s.pageSize(q.Get("$top"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
		s.mu.Lock()
		t = pageToken{Kind: deltaRound, Select: q.Get("$select"), Top: n, Init: true, To: s.version}
		s.mu.Unlock()
	}
	sel, err := s.selection(t.Select)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	s.mu.Lock()
	var ids []string
	for id, v := range s.changed {
		_, exists := s.users[id]
		switch {
		case t.Init && exists:
			ids = append(ids, id)
		case !t.Init && v > t.From && v <= t.To:
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	end := min(t.Offset+t.Top, len(ids))
	value := []map[string]any{}
	for _, id := range ids[min(t.Offset, len(ids)):end] {
		if u, ok := s.users[id]; ok {
			value = append(value, project(u, sel, false))
		} else {
			value = append(value, map[string]any{"id": id, "@removed": map[string]string{"reason": "changed"}})
		}
	}
	s.mu.Unlock()
	body := map[string]any{"@odata.context": s.BaseURL() + "/$metadata#users", "value": value}
	if end < len(ids) {
		next := t
		next.Offset = end
		body["@odata.nextLink"] = s.link(r.URL.Path, map[string]string{"$skiptoken": encodeToken(next)}, t)
	} else {
		done := pageToken{Kind: deltaRound, Select: t.Select, Top: t.Top, To: t.To}
		body["@odata.deltaLink"] = s.link(r.URL.Path, map[string]string{"$deltatoken": encodeToken(done)}, t)
	}
	writeJSON(w, body)
}
