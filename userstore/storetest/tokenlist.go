package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var tokenListTests = []test{
	{"ListPagesInOrder", testListTokensPaging},
	{"ListLimits", testListTokensLimits},
	{"ListUnexpired", testListTokensUnexpired},
	{"ListAfterConsume", testListTokensAfterConsume},
}

// putTokens stores toks or stops the test.
func putTokens(t *testing.T, s userstore.Store, toks ...userstore.Token) {
	t.Helper()
	for _, tok := range toks {
		if err := s.PutToken(t.Context(), tok, false); err != nil {
			t.Fatalf("PutToken(%s, %s): %v", tok.Kind, tok.Hash, err)
		}
	}
}

// listAll pages through the tokens of q.Kind with q.Limit, checking each
// page's size, and returns the tokens in the order listed.
func listAll(t *testing.T, s userstore.Store, q userstore.TokenQuery) []userstore.Token {
	t.Helper()
	limit := cmp.Or(max(q.Limit, 0), userstore.DefaultTokenPage)
	var out []userstore.Token
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatalf("ListTokens(%+v) pages on for ever", q)
		}
		got, err := s.ListTokens(t.Context(), q)
		if err != nil {
			t.Fatalf("ListTokens(%+v): %v", q, err)
		}
		if len(got) > limit {
			t.Fatalf("ListTokens(%+v) = %d tokens, over the limit %d", q, len(got), limit)
		}
		out = append(out, got...)
		if len(got) < limit {
			return out
		}
		last := got[len(got)-1]
		q.After = userstore.TokenCursor{CreatedAt: last.CreatedAt, Hash: last.Hash}
	}
}

func hashes(toks []userstore.Token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Hash
	}
	return out
}

// sortTokens sorts toks in the order of ListTokens.
func sortTokens(toks []userstore.Token) []userstore.Token {
	toks = slices.Clone(toks)
	slices.SortFunc(toks, func(a, b userstore.Token) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.Hash, b.Hash))
	})
	return toks
}

// testListTokensPaging: every user's tokens of a kind, oldest first and
// then by hash, with no token skipped or repeated at any page size,
// although many share a CreatedAt; tokens of other kinds stay out.
func testListTokensPaging(t *testing.T, s userstore.Store) {
	users := []userstore.User{mustCreate(t, s, newUser("quinn")), mustCreate(t, s, newUser("rosa")), mustCreate(t, s, newUser("sven"))}
	base := time.Now().Truncate(time.Microsecond).UTC()
	const n = 29
	var want []userstore.Token
	for i := range n {
		j := i * 11 % n // hashes out of creation order
		tok := userstore.Token{
			Kind: "activation", UserID: users[i%len(users)].ID, Hash: fmt.Sprintf("%02x%02x", j, i),
			Data:      []byte{byte(i)},
			CreatedAt: base.Add(time.Duration(i%4) * time.Millisecond), // four instants, several tokens each
			ExpiresAt: base.Add(time.Hour),
		}
		want = append(want, tok)
		putTokens(t, s, tok)
		// The same hash and time in other kinds must not show.
		putTokens(t, s, userstore.Token{Kind: "activation-other", UserID: tok.UserID, Hash: tok.Hash, CreatedAt: tok.CreatedAt},
			userstore.Token{Kind: "reset", UserID: tok.UserID, Hash: tok.Hash + "r", CreatedAt: tok.CreatedAt.Add(-time.Second)})
	}
	want = sortTokens(want)
	for _, limit := range []int{1, 3, 4, 7, n, n + 1, 0} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			got := listAll(t, s, userstore.TokenQuery{Kind: "activation", Limit: limit})
			if !slices.Equal(hashes(got), hashes(want)) {
				t.Fatalf("ListTokens pages of %d = %v, want %v", limit, hashes(got), hashes(want))
			}
			for i := range got {
				checkToken(t, "ListTokens", got[i], want[i])
			}
		})
	}
	if got, err := s.ListTokens(t.Context(), userstore.TokenQuery{Kind: "unused"}); err != nil || len(got) != 0 {
		t.Errorf("ListTokens of an unused kind = %v, %v; want none", hashes(got), err)
	}
	last := want[len(want)-1]
	if got, err := s.ListTokens(t.Context(), userstore.TokenQuery{Kind: "activation", After: userstore.TokenCursor{CreatedAt: last.CreatedAt, Hash: last.Hash}}); err != nil || len(got) != 0 {
		t.Errorf("ListTokens after the last token = %v, %v; want none", hashes(got), err)
	}
	// A cursor at an instant but before every hash starts with that instant.
	mid := want[n/2].CreatedAt
	got, err := s.ListTokens(t.Context(), userstore.TokenQuery{Kind: "activation", After: userstore.TokenCursor{CreatedAt: mid}, Limit: userstore.MaxTokenPage})
	if err != nil {
		t.Fatalf("ListTokens after %v: %v", mid, err)
	}
	from := slices.IndexFunc(want, func(tok userstore.Token) bool { return tok.CreatedAt.Equal(mid) })
	if !slices.Equal(hashes(got), hashes(want[from:])) {
		t.Errorf("ListTokens after (%v, \"\") = %v, want %v", mid, hashes(got), hashes(want[from:]))
	}
}

// testListTokensLimits: Limit 0 or less is the default page, more than
// MaxTokenPage and a missing Kind are refused.
func testListTokensLimits(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("tilda"))
	created := time.Now().Truncate(time.Microsecond).UTC()
	for i := range userstore.DefaultTokenPage + 3 {
		putTokens(t, s, userstore.Token{Kind: "reset", UserID: u.ID, Hash: fmt.Sprintf("%04d", i), CreatedAt: created})
	}
	for _, c := range []struct {
		limit, want int
	}{{0, userstore.DefaultTokenPage}, {-1, userstore.DefaultTokenPage}, {1, 1}, {userstore.MaxTokenPage, userstore.DefaultTokenPage + 3}} {
		got, err := s.ListTokens(ctx, userstore.TokenQuery{Kind: "reset", Limit: c.limit})
		if err != nil || len(got) != c.want {
			t.Errorf("ListTokens with Limit %d = %d tokens, %v; want %d", c.limit, len(got), err, c.want)
		}
	}
	_, err := s.ListTokens(ctx, userstore.TokenQuery{Kind: "reset", Limit: userstore.MaxTokenPage + 1})
	checkErr(t, "ListTokens over MaxTokenPage", err, userstore.ErrInvalid)
	_, err = s.ListTokens(ctx, userstore.TokenQuery{})
	checkErr(t, "ListTokens without a kind", err, userstore.ErrInvalid)
}

// testListTokensUnexpired: UnexpiredAt keeps tokens without expiry and
// those expiring after it, also across pages.
func testListTokensUnexpired(t *testing.T, s userstore.Store) {
	u := mustCreate(t, s, newUser("ursel"))
	now := time.Now().Truncate(time.Microsecond).UTC()
	var all, live []userstore.Token
	for i := range 12 {
		tok := userstore.Token{Kind: "activation", UserID: u.ID, Hash: fmt.Sprintf("h%02d", i), CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
		switch i % 4 {
		case 0: // never expires
		case 1:
			tok.ExpiresAt = now.Add(time.Minute)
		case 2:
			tok.ExpiresAt = now // expired at now
		case 3:
			tok.ExpiresAt = now.Add(-time.Hour)
		}
		putTokens(t, s, tok)
		all = append(all, tok)
		if !tok.Expired(now) {
			live = append(live, tok)
		}
	}
	for _, c := range []struct {
		name string
		at   time.Time
		want []userstore.Token
	}{
		{"no filter", time.Time{}, all},
		{"at now", now, live},
		{"long ago", now.Add(-24 * time.Hour), all},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := listAll(t, s, userstore.TokenQuery{Kind: "activation", Limit: 2, UnexpiredAt: c.at})
			if want := sortTokens(c.want); !slices.Equal(hashes(got), hashes(want)) {
				t.Errorf("ListTokens unexpired at %v = %v, want %v", c.at, hashes(got), hashes(want))
			}
		})
	}
}

// testListTokensAfterConsume: a cursor stays good when its token is
// consumed between pages, and new tokens that sort after it show up.
func testListTokensAfterConsume(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("vera"))
	created := time.Now().Truncate(time.Microsecond).UTC()
	for _, h := range []string{"c1", "c2", "c3", "c4"} {
		putTokens(t, s, userstore.Token{Kind: "activation", UserID: u.ID, Hash: h, CreatedAt: created})
	}
	first, err := s.ListTokens(ctx, userstore.TokenQuery{Kind: "activation", Limit: 2})
	if err != nil || !slices.Equal(hashes(first), []string{"c1", "c2"}) {
		t.Fatalf("first page = %v, %v; want [c1 c2]", hashes(first), err)
	}
	if _, err := s.ConsumeToken(ctx, "activation", "c2"); err != nil {
		t.Fatalf("ConsumeToken: %v", err)
	}
	putTokens(t, s, userstore.Token{Kind: "activation", UserID: u.ID, Hash: "c0", CreatedAt: created},
		userstore.Token{Kind: "activation", UserID: u.ID, Hash: "c5", CreatedAt: created.Add(time.Second)})
	next, err := s.ListTokens(ctx, userstore.TokenQuery{Kind: "activation", After: userstore.TokenCursor{CreatedAt: first[1].CreatedAt, Hash: first[1].Hash}})
	if err != nil || !slices.Equal(hashes(next), []string{"c3", "c4", "c5"}) {
		t.Errorf("page after a consumed token = %v, %v; want [c3 c4 c5]", hashes(next), err)
	}
}
