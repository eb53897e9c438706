package graph_test

// The fake server in graphtest follows Microsoft Graph's documented
// contract; see its package comment for the learn.microsoft.com pages
// (paging, delta query for users, throttling, error responses).

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/graph/graphtest"
	"github.com/usher-sdk/usher/internal/sourcetest"
)

func id(n int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", n) }

func user(n int) graphtest.User {
	return graphtest.User{
		ID:                id(n),
		DisplayName:       fmt.Sprintf("User %d", n),
		UserPrincipalName: fmt.Sprintf("user%d@example.test", n),
		OtherMails:        []string{fmt.Sprintf("user%d@home.test", n), "second@home.test"},
		MobilePhone:       "+371 2000 0000",
		Department:        "Engineering, Ops",
		EmployeeType:      "Employee",
		AccountEnabled:    n%5 != 0,
	}
}

// sleeps records the waits between retries instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type env struct {
	srv    *graphtest.Server
	src    *graph.Source
	sleeps *sleeps
}

func newEnv(t *testing.T, users int, edit func(*graph.Config)) *env {
	t.Helper()
	srv := graphtest.NewServer(graphtest.Config{MaxPageSize: 10})
	t.Cleanup(srv.Close)
	for n := 1; n <= users; n++ {
		srv.PutUser(user(n))
	}
	c := srv.Config()
	cfg := graph.Config{
		Name: "aad", TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		BaseURL: srv.BaseURL(), TokenURL: srv.TokenURL(),
	}
	if edit != nil {
		edit(&cfg)
	}
	sl := &sleeps{}
	src, err := graph.New(cfg, graph.WithHTTPClient(srv.Client()), graph.WithSleep(sl.sleep))
	require.NoError(t, err)
	return &env{srv: srv, src: src, sleeps: sl}
}

func collect(t *testing.T, seq func(func(directory.Entry, error) bool)) []directory.Entry {
	t.Helper()
	var out []directory.Entry
	for e, err := range seq {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	_, err := graph.New(graph.Config{PageSize: 1000, BaseURL: "ftp://x"})
	require.Error(t, err)
	for _, want := range []string{`"TenantID"`, `"ClientID"`, `"ClientSecret"`, "PageSize 1000", "BaseURL"} {
		assert.Contains(t, err.Error(), want)
	}
	src, err := graph.New(graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s"})
	require.NoError(t, err)
	assert.Equal(t, "azuread", src.Name())
}

func TestUsersPagingAndMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 25, nil)
	got := collect(t, e.src.Users(context.Background()))
	require.Len(t, got, 25)
	u := got[0]
	assert.Equal(t, "aad", u.Source)
	assert.Equal(t, id(1), u.ExternalID)
	assert.Equal(t, "user1@example.test", u.Username)
	assert.Equal(t, "user1@example.test", u.CorporateEmail)
	assert.Equal(t, "User 1", u.FullName)
	assert.Equal(t, "user1@home.test", u.PersonalEmail, "the first of otherMails")
	assert.Equal(t, "+371 2000 0000", u.Phone)
	assert.Equal(t, []string{"Engineering", "Ops"}, u.Groups, "department, comma-separated")
	assert.Equal(t, []string{"Employee"}, u.Roles)
	assert.True(t, u.Enabled)
	assert.False(t, got[4].Enabled, "accountEnabled false")
	assert.Equal(t, []string{"user1@home.test", "second@home.test"}, u.Raw["otherMails"])

	reqs := e.srv.Requests()
	require.Len(t, reqs, 3, "25 users in pages of 10")
	assert.Contains(t, reqs[0], "GET /v1.0/users?")
	assert.Contains(t, reqs[0], "%24select=id%2CaccountEnabled%2CuserPrincipalName%2CdisplayName%2CotherMails%2CmobilePhone%2Cdepartment%2CemployeeType")
	assert.Contains(t, reqs[0], "%24top=999")
	assert.Contains(t, reqs[1], "%24skiptoken=")

	// break stops paging.
	for range e.src.Users(context.Background()) {
		break
	}
	assert.Len(t, e.srv.Requests(), 4)
}

func TestUsersCustomMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, func(c *graph.Config) {
		c.Mapping = directory.Mapping{PersonalEmail: "mail", Groups: "extension_abc_groups"}
	})
	u := user(1)
	u.Mail = "u1@mail.test"
	u.Extra = map[string]any{"extension_abc_groups": []string{"a,b", "c"}}
	e.srv.PutUser(u)
	got := collect(t, e.src.Users(context.Background()))
	require.Len(t, got, 1)
	assert.Equal(t, "u1@mail.test", got[0].PersonalEmail)
	assert.Equal(t, []string{"a", "b", "c"}, got[0].Groups)
}

func TestUsersGroupScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 30, func(c *graph.Config) { c.GroupID = "group-staff" })
	e.srv.SetGroup("group-staff", id(1), id(2), "group-nested")
	e.srv.SetGroup("group-nested", id(3), id(2), "group-deeper")
	e.srv.SetGroup("group-deeper", id(4))
	got := collect(t, e.src.Users(context.Background()))
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ExternalID)
	}
	assert.Equal(t, []string{id(1), id(2), id(3), id(4)}, ids)
	assert.Contains(t, e.srv.Requests()[0], "GET /v1.0/groups/group-staff/transitiveMembers/microsoft.graph.user?")

	missing := newEnv(t, 1, func(c *graph.Config) { c.GroupID = "no-such-group" })
	for _, err := range missing.src.Users(context.Background()) {
		var gerr *graph.Error
		require.ErrorAs(t, err, &gerr)
		assert.Equal(t, "Request_ResourceNotFound", gerr.Code)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, nil)
	ctx := context.Background()
	for _, login := range []string{"user2@example.test", "USER2@Example.test", id(2)} {
		u, err := e.src.Lookup(ctx, login)
		require.NoError(t, err, login)
		assert.Equal(t, id(2), u.ExternalID)
	}
	before := len(e.srv.Requests())
	for _, login := range []string{"", "user2", "../users", "a/b@example.test", "delta", "x@y?$select=id"} {
		_, err := e.src.Lookup(ctx, login)
		require.ErrorIs(t, err, directory.ErrNotFound, login)
	}
	assert.Len(t, e.srv.Requests(), before, "logins that cannot name a user are refused locally")
	_, err := e.src.Lookup(ctx, "nobody@example.test")
	require.ErrorIs(t, err, directory.ErrNotFound)

	scoped := newEnv(t, 3, func(c *graph.Config) { c.GroupID = "g" })
	scoped.srv.SetGroup("g", "inner")
	scoped.srv.SetGroup("inner", id(1))
	_, err = scoped.src.Lookup(ctx, "user1@example.test")
	require.NoError(t, err, "nested member")
	_, err = scoped.src.Lookup(ctx, "user2@example.test")
	require.ErrorIs(t, err, directory.ErrNotFound, "outside the group")
}

func TestCannotCheckPasswords(t *testing.T) {
	t.Parallel()
	var src directory.Source = newEnv(t, 1, nil).src
	_, checks := src.(directory.PasswordSource)
	assert.False(t, checks, "Graph cannot check passwords with client credentials")
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		n, status  int
		retryAfter string
		maxRetries int
		maxWait    time.Duration
		wantSleeps []time.Duration
		wantErr    bool
	}{
		{name: "429 retry-after", n: 2, status: 429, retryAfter: "7", wantSleeps: []time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "503 no header backs off", n: 3, status: 503, wantSleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "wait capped", n: 1, status: 429, retryAfter: "3600", maxWait: 30 * time.Second, wantSleeps: []time.Duration{30 * time.Second}},
		{name: "retries bounded", n: 5, status: 429, retryAfter: "1", maxRetries: 2, wantSleeps: []time.Duration{time.Second, time.Second}, wantErr: true},
		{name: "no retries", n: 1, status: 429, retryAfter: "1", maxRetries: -1, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 3, func(c *graph.Config) { c.MaxRetries, c.MaxRetryWait = tc.maxRetries, tc.maxWait })
			e.srv.Throttle(tc.n, tc.status, tc.retryAfter)
			var n int
			var err error
			for _, err = range e.src.Users(context.Background()) {
				if err != nil {
					break
				}
				n++
			}
			assert.Equal(t, tc.wantSleeps, e.sleeps.got())
			if tc.wantErr {
				var gerr *graph.Error
				require.ErrorAs(t, err, &gerr)
				assert.Equal(t, tc.status, gerr.Status)
				assert.Equal(t, "TooManyRequests", gerr.Code)
				require.ErrorIs(t, err, directory.ErrUnavailable)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 3, n)
		})
	}
}

func TestThrottlingHonoursContext(t *testing.T) {
	t.Parallel()
	srv := graphtest.NewServer(graphtest.Config{})
	t.Cleanup(srv.Close)
	c := srv.Config()
	ctx, cancel := context.WithCancel(context.Background())
	src, err := graph.New(graph.Config{TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret, BaseURL: srv.BaseURL(), TokenURL: srv.TokenURL()},
		graph.WithHTTPClient(srv.Client()),
		graph.WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
	require.NoError(t, err)
	srv.Throttle(10, 429, "5")
	_, err = src.Lookup(ctx, "x@example.test")
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, srv.Requests(), 1)
}

func TestGraphErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	e.srv.FailNext(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	_, err := e.src.Lookup(context.Background(), "user1@example.test")
	var gerr *graph.Error
	require.ErrorAs(t, err, &gerr)
	assert.Equal(t, graph.Error{Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."}, *gerr)
	assert.NotErrorIs(t, err, directory.ErrUnavailable)
	assert.NotErrorIs(t, err, directory.ErrNotFound)
	assert.Equal(t, "graph: 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.", err.Error())

	e.srv.FailNext(http.StatusInternalServerError, "generalException", "boom")
	_, err = e.src.Lookup(context.Background(), "user1@example.test")
	require.ErrorIs(t, err, directory.ErrUnavailable)
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, func(c *graph.Config) { c.ClientSecret = "wrong" })
	_, err := e.src.Lookup(context.Background(), "user1@example.test")
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_client", re.ErrorCode)
	assert.NotErrorIs(t, err, directory.ErrUnavailable)
	assert.NotContains(t, err.Error(), "wrong", "the secret is never in messages")

	down := newEnv(t, 1, func(c *graph.Config) { c.TokenURL = "http://127.0.0.1:1/token" })
	_, err = down.src.Lookup(context.Background(), "user1@example.test")
	require.ErrorIs(t, err, directory.ErrUnavailable)
}

func TestChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 12, nil)
	ctx := context.Background()
	round := func(cursor string) ([]directory.Entry, string) {
		t.Helper()
		got, c := sourcetest.DrainChanges(t, e.src.Changes(ctx, cursor), cursor)
		require.NotEmpty(t, c)
		return got, c
	}

	got, c1 := round("")
	assert.Len(t, got, 12, "the first round lists everyone, over pages")
	assert.Contains(t, c1, "%24deltatoken=")

	got, c2 := round(c1)
	assert.Empty(t, got)

	u := user(3)
	u.DisplayName = "Renamed"
	e.srv.PutUser(u)
	e.srv.PutUser(user(13))
	e.srv.DeleteUser(id(5))
	got, c3 := round(c2)
	require.Len(t, got, 3)
	byID := map[string]directory.Entry{}
	for _, g := range got {
		byID[g.ExternalID] = g
	}
	assert.Equal(t, "Renamed", byID[id(3)].FullName)
	assert.Equal(t, "user13@example.test", byID[id(13)].Username)
	gone := byID[id(5)]
	assert.False(t, gone.Enabled)
	assert.Equal(t, []string{"changed"}, gone.Raw["@removed"])
	assert.Empty(t, gone.Username)

	got, _ = round(c3)
	assert.Empty(t, got)
}

func TestChangesGroupScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 6, func(c *graph.Config) { c.GroupID = "g" })
	e.srv.SetGroup("g", id(1), id(2))
	ctx := context.Background()
	got, c := sourcetest.DrainChanges(t, e.src.Changes(ctx, ""), "")
	assert.Len(t, got, 2)

	u1, u4 := user(1), user(4)
	u1.MobilePhone, u4.MobilePhone = "+1 555 0101", "+1 555 0104"
	e.srv.PutUser(u1)
	e.srv.PutUser(u4) // outside the group
	got, _ = sourcetest.DrainChanges(t, e.src.Changes(ctx, c), c)
	require.Len(t, got, 1)
	assert.Equal(t, "+1 555 0101", got[0].Phone)
}

func TestChangesBadCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	for _, cursor := range []string{"http://evil.test/v1.0/users/delta?$deltatoken=x", e.srv.BaseURL() + "/users?x", "::"} {
		n := 0
		for c, err := range e.src.Changes(context.Background(), cursor) {
			n++
			require.ErrorIs(t, err, graph.ErrBadLink)
			assert.Empty(t, c.Cursor)
		}
		assert.Equal(t, 1, n, "the stream stops at its error")
	}
	assert.Empty(t, e.srv.Requests(), "the token never leaves for another host")
}

// TestChangesBreakEarly: a consumer that stops part way, even on a later
// page, has seen no cursor that would skip the users it did not read; the
// deltaLink comes only after the last of them.
func TestChangesBreakEarly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 12, nil)
	ctx := context.Background()
	_, c1 := sourcetest.DrainChanges(t, e.src.Changes(ctx, ""), "")
	u := user(3)
	u.DisplayName = "Renamed"
	e.srv.PutUser(u)
	e.srv.PutUser(user(13))

	for _, from := range []string{"", c1} {
		var all []directory.Entry
		for c, err := range e.src.Changes(ctx, from) {
			require.NoError(t, err)
			if c.Entry != nil {
				all = append(all, *c.Entry)
			}
		}
		require.NotEmpty(t, all)
		for stop := 1; stop <= len(all); stop++ {
			var seen []string
			for c, err := range e.src.Changes(ctx, from) {
				require.NoError(t, err)
				require.NotNil(t, c.Entry, "the final cursor comes only after every entry")
				seen = append(seen, c.Cursor)
				if len(seen) == stop {
					break
				}
			}
			for _, c := range seen {
				assert.Equal(t, from, c, "stopped after %d of %d entries: only the cursor asked for", stop, len(all))
			}
		}
	}
}

// TestNextLinkElsewhere checks a nextLink to another host is refused.
func TestNextLinkElsewhere(t *testing.T) {
	t.Parallel()
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/token") {
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3600,"access_token":"tok"}`)
			return
		}
		mu.Lock()
		calls++
		mu.Unlock()
		fmt.Fprint(w, `{"value":[{"id":"1","accountEnabled":true}],"@odata.nextLink":"https://evil.test/v1.0/users?$skiptoken=x"}`)
	}))
	t.Cleanup(srv.Close)
	src, err := graph.New(graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s", BaseURL: srv.URL + "/v1.0", TokenURL: srv.URL + "/token"})
	require.NoError(t, err)
	var n int
	for _, err := range src.Users(context.Background()) {
		if err != nil {
			require.ErrorIs(t, err, graph.ErrBadLink)
			break
		}
		n++
	}
	assert.Equal(t, 0, n, "a page with a bad nextLink is refused whole")
	assert.Equal(t, 1, calls)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 25, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			n := 0
			for _, err := range e.src.Users(context.Background()) {
				if err == nil {
					n++
				}
			}
			assert.Equal(t, 25, n)
			_, err := e.src.Lookup(context.Background(), "user7@example.test")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
}
