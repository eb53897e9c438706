package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var tokenTests = []test{
	{"PutListConsumeDelete", testTokens},
	{"Replace", testTokenReplace},
	{"ConsumeOnceUnderConcurrency", testConsumeConcurrent},
}

func testTokens(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("leo"))
	other := mustCreate(t, s, newUser("mia"))
	created := time.Now().Truncate(time.Second).UTC()
	expires := created.Add(time.Hour)
	toks := []userstore.Token{
		{Kind: "reset", UserID: u.ID, Hash: "aa01", Data: []byte{0, 1, 2, 255}, CreatedAt: created, ExpiresAt: expires},
		{Kind: "reset", UserID: u.ID, Hash: "aa02", CreatedAt: created.Add(time.Second), ExpiresAt: expires},
		{Kind: "activation", UserID: u.ID, Hash: "aa01"}, // the same hash in another kind
		{Kind: "reset", UserID: other.ID, Hash: "bb01"},
	}
	for _, tok := range toks {
		if err := s.PutToken(ctx, tok, false); err != nil {
			t.Fatalf("PutToken(%s, %s): %v", tok.Kind, tok.Hash, err)
		}
	}
	checkErr(t, "PutToken with a taken hash", s.PutToken(ctx, userstore.Token{Kind: "reset", UserID: other.ID, Hash: "aa01"}, false), userstore.ErrConflict)
	checkErr(t, "PutToken for an unknown user", s.PutToken(ctx, userstore.Token{Kind: "reset", UserID: u.ID + "-missing", Hash: "cc01"}, false), userstore.ErrNotFound)
	for _, bad := range []userstore.Token{{UserID: u.ID, Hash: "x"}, {Kind: "reset", UserID: u.ID}, {Kind: "reset", Hash: "x"}} {
		if err := s.PutToken(ctx, bad, false); err == nil {
			t.Errorf("PutToken(%+v) with a missing field succeeded", bad)
		}
	}

	got, err := s.UserTokens(ctx, "reset", u.ID)
	if err != nil {
		t.Fatalf("UserTokens: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("UserTokens(reset) = %d tokens, want 2", len(got))
	}
	slices.SortFunc(got, func(a, b userstore.Token) int { return strings.Compare(a.Hash, b.Hash) })
	checkToken(t, "UserTokens", got[0], toks[0])
	checkToken(t, "UserTokens", got[1], toks[1])
	if got, err := s.UserTokens(ctx, "activation", u.ID); err != nil || len(got) != 1 {
		t.Errorf("UserTokens(activation) = %+v, %v; want 1 token", got, err)
	}
	if got, err := s.UserTokens(ctx, "none", u.ID); err != nil || len(got) != 0 {
		t.Errorf("UserTokens of an unused kind = %+v, %v", got, err)
	}

	tok, err := s.ConsumeToken(ctx, "reset", "aa01")
	if err != nil {
		t.Fatalf("ConsumeToken: %v", err)
	}
	checkToken(t, "ConsumeToken", tok, toks[0])
	_, err = s.ConsumeToken(ctx, "reset", "aa01")
	checkErr(t, "ConsumeToken twice", err, userstore.ErrNotFound)
	_, err = s.ConsumeToken(ctx, "other-kind", "aa02")
	checkErr(t, "ConsumeToken of another kind", err, userstore.ErrNotFound)
	if got, _ := s.UserTokens(ctx, "activation", u.ID); len(got) != 1 {
		t.Errorf("consuming a reset token removed the activation token with the same hash")
	}

	if err := s.PutToken(ctx, userstore.Token{Kind: "invite", UserID: u.ID, Hash: "dd01"}, false); err != nil {
		t.Fatalf("PutToken: %v", err)
	}
	if err := s.DeleteTokens(ctx, "reset", u.ID); err != nil {
		t.Fatalf("DeleteTokens(reset): %v", err)
	}
	if got, _ := s.UserTokens(ctx, "reset", u.ID); len(got) != 0 {
		t.Errorf("DeleteTokens(reset) left %d tokens", len(got))
	}
	if got, _ := s.UserTokens(ctx, "activation", u.ID); len(got) != 1 {
		t.Errorf("DeleteTokens(reset) removed another kind")
	}
	if err := s.DeleteTokens(ctx, "", u.ID); err != nil {
		t.Fatalf("DeleteTokens(all): %v", err)
	}
	for _, kind := range []string{"reset", "activation", "invite"} {
		if got, _ := s.UserTokens(ctx, kind, u.ID); len(got) != 0 {
			t.Errorf("DeleteTokens(all) left %d %s tokens", len(got), kind)
		}
	}
	if got, _ := s.UserTokens(ctx, "reset", other.ID); len(got) != 1 {
		t.Errorf("DeleteTokens removed another user's token")
	}
	if err := s.DeleteTokens(ctx, "reset", u.ID); err != nil {
		t.Errorf("DeleteTokens with nothing to delete: %v", err)
	}
}

func testTokenReplace(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("nina"))
	other := mustCreate(t, s, newUser("otto"))
	for _, tok := range []userstore.Token{
		{Kind: "reset", UserID: u.ID, Hash: "r1"},
		{Kind: "reset", UserID: u.ID, Hash: "r2"},
		{Kind: "activation", UserID: u.ID, Hash: "a1"},
		{Kind: "reset", UserID: other.ID, Hash: "o1"},
	} {
		if err := s.PutToken(ctx, tok, false); err != nil {
			t.Fatalf("PutToken: %v", err)
		}
	}
	if err := s.PutToken(ctx, userstore.Token{Kind: "reset", UserID: u.ID, Hash: "r3"}, true); err != nil {
		t.Fatalf("PutToken with replace: %v", err)
	}
	got, err := s.UserTokens(ctx, "reset", u.ID)
	if err != nil || len(got) != 1 || got[0].Hash != "r3" {
		t.Errorf("after replace UserTokens(reset) = %+v, %v; want only r3", got, err)
	}
	for _, c := range []struct{ kind, user string }{{"activation", u.ID}, {"reset", other.ID}} {
		if got, _ := s.UserTokens(ctx, c.kind, c.user); len(got) != 1 {
			t.Errorf("replace removed a %s token of user %s", c.kind, c.user)
		}
	}
	_, err = s.ConsumeToken(ctx, "reset", "r1")
	checkErr(t, "ConsumeToken of a replaced token", err, userstore.ErrNotFound)
}

func testConsumeConcurrent(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("pia"))
	if err := s.PutToken(ctx, userstore.Token{Kind: "reset", UserID: u.ID, Hash: "once"}, false); err != nil {
		t.Fatalf("PutToken: %v", err)
	}
	const n = 50
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won, lost int
		others    []error
	)
	for range n {
		wg.Go(func() {
			_, err := s.ConsumeToken(ctx, "reset", "once")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case isNotFound(err):
				lost++
			default:
				others = append(others, err)
			}
		})
	}
	wg.Wait()
	if won != 1 || lost != n-1 || len(others) != 0 {
		t.Errorf("%d concurrent ConsumeToken: %d got it, %d ErrNotFound, other errors %v; want 1 and %d", n, won, lost, others, n-1)
	}
}

func checkToken(t *testing.T, what string, got, want userstore.Token) {
	t.Helper()
	if got.Kind != want.Kind || got.UserID != want.UserID || got.Hash != want.Hash ||
		string(got.Data) != string(want.Data) || !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.ExpiresAt, want.ExpiresAt) {
		t.Errorf("%s: token = %+v, want %+v", what, got, want)
	}
}
