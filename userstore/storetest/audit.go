package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

var auditTests = []test{
	{"AppendAndFilter", testAudit},
	{"DefaultsIDAndTime", testAuditDefaults},
}

func testAudit(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	u1 := mustCreate(t, s, newUser("rita"))
	u2 := mustCreate(t, s, newUser("sam"))
	base := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	kinds := []userstore.AuditKind{userstore.AuditLoginFailed, userstore.AuditLoginSucceeded, userstore.AuditLocked}
	// Appended out of time order: the store orders by Time.
	order := []int{3, 0, 5, 1, 4, 2, 6}
	for _, i := range order {
		e := userstore.AuditEvent{
			Time: base.Add(time.Duration(i) * time.Second), Kind: kinds[i%3],
			UserID: []string{u1.ID, u2.ID}[i%2], Login: fmt.Sprintf("l%d", i), Remote: "192.0.2.1",
			Reason: "wrong password", Detail: map[string]string{"i": fmt.Sprint(i)},
		}
		if i == 6 {
			e.UserID, e.Reason = "", "unknown user"
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	logins := func(f userstore.AuditFilter) []string {
		t.Helper()
		var out []string
		for _, e := range mustCollect(t, "Audit", s.Audit(ctx, f)) {
			out = append(out, e.Login)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    userstore.AuditFilter
		want []string
	}{
		{"all, newest first", userstore.AuditFilter{}, []string{"l6", "l5", "l4", "l3", "l2", "l1", "l0"}},
		{"user", userstore.AuditFilter{UserID: u1.ID}, []string{"l4", "l2", "l0"}},
		{"kind", userstore.AuditFilter{Kind: userstore.AuditLoginFailed}, []string{"l6", "l3", "l0"}},
		{"since, inclusive", userstore.AuditFilter{Since: base.Add(4 * time.Second)}, []string{"l6", "l5", "l4"}},
		{"limit", userstore.AuditFilter{Limit: 2}, []string{"l6", "l5"}},
		{"all filters", userstore.AuditFilter{UserID: u2.ID, Kind: userstore.AuditLoginSucceeded, Since: base, Limit: 5}, []string{"l1"}},
		{"no match", userstore.AuditFilter{UserID: "nobody"}, nil},
	} {
		if got := logins(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Audit(%+v) = %v, want %v", tt.name, tt.f, got, tt.want)
		}
	}
	events := mustCollect(t, "Audit", s.Audit(ctx, userstore.AuditFilter{Limit: 1}))
	if len(events) != 1 {
		t.Fatalf("Audit(Limit 1) = %d events", len(events))
	}
	e := events[0]
	if e.Kind != userstore.AuditLoginFailed || e.UserID != "" || e.Remote != "192.0.2.1" || e.Reason != "unknown user" ||
		e.Detail["i"] != "6" || len(e.Detail) != 1 || !e.Time.Equal(base.Add(6*time.Second)) || e.ID == "" {
		t.Errorf("stored event = %+v", e)
	}
}

func testAuditDefaults(t *testing.T, s userstore.Store) {
	ctx := t.Context()
	before := time.Now().Add(-clockSkew)
	if err := s.AppendAudit(ctx, userstore.AuditEvent{ID: "given-id", Kind: userstore.AuditPasswordSet, Time: before.Add(-time.Hour)}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	for range 3 {
		if err := s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed}); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	events := mustCollect(t, "Audit", s.Audit(ctx, userstore.AuditFilter{}))
	if len(events) != 4 {
		t.Fatalf("Audit = %d events, want 4", len(events))
	}
	seen := map[string]bool{}
	for _, e := range events[:3] {
		if e.ID == "" || seen[e.ID] {
			t.Errorf("event without a unique ID: %+v", e)
		}
		seen[e.ID] = true
		if e.Time.Before(before) || e.Time.After(time.Now().Add(clockSkew)) {
			t.Errorf("event Time = %v, want about now", e.Time)
		}
	}
	if last := events[3]; last.ID != "given-id" || last.Kind != userstore.AuditPasswordSet {
		t.Errorf("oldest event = %+v, want the one with ID given-id", last)
	}
}
