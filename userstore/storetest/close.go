package storetest

import (
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var closeTests = []test{
	{"CallsAfterCloseFail", testClose},
}

func testClose(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u := mustCreate(t, s, newUser("closer"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []struct {
		name string
		err  error
	}{
		{"GetUser", second(s.GetUser(ctx, u.ID))},
		{"GetUserByUsername", second(s.GetUserByUsername(ctx, "closer"))},
		{"FindUsersByEmail", second(s.FindUsersByEmail(ctx, "closer@example.com", 2))},
		{"GetUserByExternalID", second(s.GetUserByExternalID(ctx, "s", "x"))},
		{"ListUsers", second(collect(s.ListUsers(ctx, userstore.ListOptions{})))},
		{"CreateUser", second(s.CreateUser(ctx, newUser("late")))},
		{"UpdateUser", second(s.UpdateUser(ctx, u))},
		{"DeleteUser", s.DeleteUser(ctx, u.ID)},
		{"RecordFailedLogin", second(s.RecordFailedLogin(ctx, u.ID, 3, time.Hour, time.Now()))},
		{"ResetFailedLogins", s.ResetFailedLogins(ctx, u.ID)},
		{"SetPassword", s.SetPassword(ctx, u.ID, "", "$h$", false)},
		{"CreateGroup", second(s.CreateGroup(ctx, userstore.Group{Name: "g"}))},
		{"GetGroup", second(s.GetGroup(ctx, "g"))},
		{"UpdateGroup", second(s.UpdateGroup(ctx, userstore.Group{Name: "g", Version: 1}))},
		{"DeleteGroup", s.DeleteGroup(ctx, "g")},
		{"ListGroups", second(collect(s.ListGroups(ctx)))},
		{"AddMember", s.AddMember(ctx, "g", u.ID)},
		{"RemoveMember", s.RemoveMember(ctx, "g", u.ID)},
		{"SetUserGroups", s.SetUserGroups(ctx, u.ID, []string{"g"})},
		{"ListMembers", second(collect(s.ListMembers(ctx, "g")))},
		{"PutToken", s.PutToken(ctx, userstore.Token{Kind: "k", UserID: u.ID, Hash: "h"}, false)},
		{"UserTokens", second(s.UserTokens(ctx, "k", u.ID))},
		{"ConsumeToken", second(s.ConsumeToken(ctx, "k", "h"))},
		{"DeleteTokens", s.DeleteTokens(ctx, "", u.ID)},
		{"ListTokens", second(s.ListTokens(ctx, userstore.TokenQuery{Kind: "k"}))},
		{"Changes", second(collect(s.Changes(ctx, 0)))},
		{"AppendAudit", s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed})},
		{"Audit", second(collect(s.Audit(ctx, userstore.AuditFilter{})))},
	}
	for _, c := range calls {
		checkErr(t, c.name+" after Close", c.err, userstore.ErrClosed)
	}
	// A second Close may return an error but must not panic.
	_ = s.Close()
}

// second returns the error of a two-result call.
func second[T any](_ T, err error) error { return err }
