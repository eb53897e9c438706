package push_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

// TestFollower_FilterEscaping pushes groups whose names hold what a SCIM
// filter or a URL must escape; they are found again by externalId, so a
// second push replaces rather than duplicates them.
func TestFollower_FilterEscaping(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	p := newProvider(t, testToken)
	cursors := &push.MemoryCursors{}
	f := newFollower(t, p, s, cursors, push.Config{})
	u := createUser(t, s, "mia")
	names := []string{`R&D "core"`, `back\slash`, `(a)*b`, `Zürich Ärzte`, `x eq "y" or true`, `50%+?#`}
	for _, n := range names {
		_, err := s.CreateGroup(ctx, userstore.Group{Name: n})
		require.NoError(t, err, n)
		require.NoError(t, s.AddMember(ctx, n, u.ID))
	}
	drain(t, f)
	require.NoError(t, cursors.Save(ctx, "default", 0))
	drain(t, f)
	assertMirrors(t, p, s, push.Deactivate)
	for _, n := range names {
		require.NoError(t, s.DeleteGroup(ctx, n))
	}
	drain(t, f)
	assert.Empty(t, p.groups.snapshot())
}

// TestFollower_AnswerSizeLimit refuses an answer larger than the limit rather
// than reading it all.
func TestFollower_AnswerSizeLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(`{"Resources":[{"id":"` + strings.Repeat("x", 5<<20) + `"}]}`))
	}))
	defer srv.Close()
	s := memstore.New()
	createUser(t, s, "nia")
	f, err := push.New(push.Config{BaseURL: srv.URL}, s, &push.MemoryCursors{})
	require.NoError(t, err)
	_, err = f.Step(context.Background())
	assert.ErrorContains(t, err, "answer larger than")
}

// TestFollower_RetryAfter reads the wait a rate-limited downstream asks for,
// in seconds or as an HTTP-date against the follower's clock.
func TestFollower_RetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status int
		header string
		want   time.Duration
	}{
		{429, "7", 7 * time.Second},
		{503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{429, "", 0},
		{429, "soon", 0},
		{500, "7", 0}, // only 429 and 503 carry it
	} {
		t.Run(strconv.Itoa(c.status)+"/"+c.header, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.header != "" {
					w.Header().Set("Retry-After", c.header)
				}
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			s := memstore.New()
			createUser(t, s, "olga")
			f, err := push.New(push.Config{BaseURL: srv.URL}, s, &push.MemoryCursors{},
				push.WithClock(func() time.Time { return now }))
			require.NoError(t, err)
			_, err = f.Step(context.Background())
			var he *push.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, c.status, he.StatusCode)
			assert.Equal(t, c.want, he.RetryAfter)
		})
	}
}
