// Package storetest is the conformance suite of onboarding.Store: every
// implementation runs Run and must pass it. It uses only the standard
// testing package.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/onboarding"
)

// Run runs the suite against stores made by newStore, which must return a
// new, empty store for each call (and close it when tb ends).
func Run(t *testing.T, newStore func(tb testing.TB) onboarding.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, onboarding.Store)
	}{
		{"Applications", testApplications},
		{"ApplicationNameUniqueWithoutCase", testNameUnique},
		{"ListAndUpdateApplications", testListUpdate},
		{"Activities", testActivities},
		{"UpdateActivityError", testUpdateError},
		{"UpdateActivityConcurrent", testUpdateConcurrent},
		{"ActivitiesNewestFirst", testNewestFirst},
		{"Devices", testDevices},
		{"DeviceLimitConcurrent", testDeviceLimitConcurrent},
		{"DeleteUserDevices", testDeleteUserDevices},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func app(name string) onboarding.Application {
	return onboarding.Application{
		Name:        name,
		Description: "d",
		Layout:      onboarding.Layout{LogoURL: "https://x/logo.png", PrimaryColour: "#112233"},
		Requirements: []onboarding.RequirementSpec{
			{Kind: "credentials", Settings: []byte(`{"a":1}`)},
			{Kind: "manual"},
		},
		UserRealm:   "pool",
		DeviceLimit: 2,
	}
}

func mustApp(t *testing.T, s onboarding.Store, name string) onboarding.Application {
	t.Helper()
	a, err := s.CreateApplication(context.Background(), app(name))
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	return a
}

func testApplications(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	if a.ID == "" || a.CreatedAt.IsZero() {
		t.Fatalf("CreateApplication did not set ID and CreatedAt: %+v", a)
	}
	for _, get := range []func() (onboarding.Application, error){
		func() (onboarding.Application, error) { return s.GetApplication(ctx, a.ID) },
		func() (onboarding.Application, error) { return s.GetApplicationByName(ctx, "bANK") },
	} {
		g, err := get()
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if g.Name != "Bank" || g.Description != "d" || g.Layout != a.Layout || g.UserRealm != "pool" || g.DeviceLimit != 2 ||
			len(g.Requirements) != 2 || g.Requirements[0].Kind != "credentials" || g.Requirements[1].Kind != "manual" ||
			!jsonEqual(g.Requirements[0].Settings, `{"a":1}`) || !g.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("got %+v, want %+v", g, a)
		}
	}
	if _, err := s.GetApplication(ctx, "nope"); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("GetApplication(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetApplicationByName(ctx, "nope"); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("GetApplicationByName(unknown) = %v, want ErrNotFound", err)
	}
}

func jsonEqual(got []byte, want string) bool {
	return bytes.Equal(bytes.ReplaceAll(got, []byte(" "), nil), []byte(want))
}

func testNameUnique(t *testing.T, s onboarding.Store) {
	mustApp(t, s, "Bank")
	if _, err := s.CreateApplication(context.Background(), app("BANK")); !errors.Is(err, onboarding.ErrConflict) {
		t.Errorf("second application BANK: %v, want ErrConflict", err)
	}
	mustApp(t, s, "Bank 2")
}

func testListUpdate(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	if as, err := s.ListApplications(ctx); err != nil || len(as) != 0 {
		t.Fatalf("ListApplications of an empty store = %v, %v", as, err)
	}
	b := mustApp(t, s, "bank")
	a := mustApp(t, s, "Archive")
	c := mustApp(t, s, "Cloud")
	as, err := s.ListApplications(ctx)
	if err != nil || len(as) != 3 || as[0].ID != a.ID || as[1].ID != b.ID || as[2].ID != c.ID {
		t.Fatalf("ListApplications = %+v, %v; want Archive, bank, Cloud", as, err)
	}
	if as[1].Name != "bank" || as[1].UserRealm != "pool" || len(as[1].Requirements) != 2 {
		t.Errorf("listed %+v, want what was stored", as[1])
	}

	u := b
	u.Name, u.Description, u.DeviceLimit = "Bank", "new", 5
	u.Layout.PrimaryColour = "#112233"
	u.Requirements = []onboarding.RequirementSpec{{Kind: "manual"}}
	u.CreatedAt = time.Time{}
	got, err := s.UpdateApplication(ctx, u)
	if err != nil {
		t.Fatalf("UpdateApplication: %v", err)
	}
	if got.Name != "Bank" || got.Description != "new" || got.DeviceLimit != 5 || got.Layout.PrimaryColour != "#112233" ||
		len(got.Requirements) != 1 || !got.CreatedAt.Equal(b.CreatedAt) || got.ID != b.ID {
		t.Errorf("UpdateApplication = %+v", got)
	}
	if g, err := s.GetApplicationByName(ctx, "BANK"); err != nil || g.Description != "new" {
		t.Errorf("after update GetApplicationByName = %+v, %v", g, err)
	}
	u.Name = "CLOUD"
	if _, err := s.UpdateApplication(ctx, u); !errors.Is(err, onboarding.ErrConflict) {
		t.Errorf("rename onto Cloud: %v, want ErrConflict", err)
	}
	if g, _ := s.GetApplication(ctx, b.ID); g.Name != "Bank" {
		t.Errorf("a refused update changed the name to %q", g.Name)
	}
	u.ID = "nope"
	if _, err := s.UpdateApplication(ctx, u); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("UpdateApplication(unknown) = %v, want ErrNotFound", err)
	}
}

func activity(appID string) onboarding.Activity {
	return onboarding.Activity{
		ApplicationID:  appID,
		PublicKey:      []byte{1, 2, 3},
		KeyFingerprint: "abc",
		Nonce:          "n0",
		Status:         onboarding.StatusInProgress,
		Steps:          []onboarding.Step{{Time: time.Unix(100, 0).UTC(), Tag: onboarding.TagSystem, Message: "started"}},
	}
}

func testActivities(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	act, err := s.CreateActivity(ctx, activity(a.ID))
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	if act.ID == "" || act.CreatedAt.IsZero() {
		t.Fatalf("CreateActivity did not set ID and CreatedAt")
	}
	up, err := s.UpdateActivity(ctx, act.ID, func(x *onboarding.Activity) error {
		x.Step = 1
		x.Nonce = "n1"
		x.UserID = "u1"
		x.Login = "alice"
		x.Status = onboarding.StatusPending
		x.PublicKey = []byte{9} // must be ignored
		x.Steps = append(x.Steps, onboarding.Step{Time: time.Unix(200, 0).UTC(), Tag: "credentials", Message: "ok"})
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateActivity: %v", err)
	}
	got, err := s.GetActivity(ctx, act.ID)
	if err != nil {
		t.Fatalf("GetActivity: %v", err)
	}
	for _, g := range []onboarding.Activity{up, got} {
		if g.Step != 1 || g.Nonce != "n1" || g.UserID != "u1" || g.Login != "alice" || g.Status != onboarding.StatusPending ||
			!bytes.Equal(g.PublicKey, []byte{1, 2, 3}) || g.KeyFingerprint != "abc" || len(g.Steps) != 2 ||
			g.Steps[1].Tag != "credentials" || !g.Steps[1].Time.Equal(time.Unix(200, 0)) {
			t.Errorf("after update: %+v", g)
		}
	}
	pending, err := s.ListActivities(ctx, a.ID, onboarding.StatusPending)
	if err != nil || len(pending) != 1 {
		t.Errorf("ListActivities(pending) = %d, %v; want 1", len(pending), err)
	}
	none, err := s.ListActivities(ctx, a.ID, onboarding.StatusCompleted)
	if err != nil || len(none) != 0 {
		t.Errorf("ListActivities(completed) = %d, %v; want 0", len(none), err)
	}
	if err := s.DeleteActivity(ctx, act.ID); err != nil {
		t.Fatalf("DeleteActivity: %v", err)
	}
	if _, err := s.GetActivity(ctx, act.ID); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("GetActivity after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeleteActivity(ctx, act.ID); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("DeleteActivity again = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateActivity(ctx, act.ID, func(*onboarding.Activity) error { return nil }); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("UpdateActivity(deleted) = %v, want ErrNotFound", err)
	}
}

func testUpdateError(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	act, err := s.CreateActivity(ctx, activity(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err = s.UpdateActivity(ctx, act.ID, func(x *onboarding.Activity) error {
		x.Step = 5
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateActivity = %v, want fn's error", err)
	}
	got, _ := s.GetActivity(ctx, act.ID)
	if got.Step != 0 {
		t.Errorf("a failed update changed the activity: step %d", got.Step)
	}
}

// testUpdateConcurrent: N updaters that each consume the nonce "n0" only
// when they see it; exactly one must succeed.
func testUpdateConcurrent(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	act, err := s.CreateActivity(ctx, activity(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	used := errors.New("used")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateActivity(ctx, act.ID, func(x *onboarding.Activity) error {
				if x.Nonce != "n0" {
					return used
				}
				x.Nonce = fmt.Sprint("n", i+1)
				x.Step++
				return nil
			})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, used) {
				t.Errorf("UpdateActivity: %v", err)
			}
		}()
	}
	wg.Wait()
	got, _ := s.GetActivity(ctx, act.ID)
	if ok != 1 || got.Step != 1 {
		t.Errorf("%d updaters consumed the nonce, step %d; want 1 and 1", ok, got.Step)
	}
}

func testNewestFirst(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	other := mustApp(t, s, "Other")
	var want []string
	for range 5 {
		act, err := s.CreateActivity(ctx, activity(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{act.ID}, want...)
	}
	if _, err := s.CreateActivity(ctx, activity(other.ID)); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListActivities(ctx, a.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range list {
		got = append(got, x.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListActivities = %v, want newest first %v", got, want)
	}
}

func device(appID, user string) onboarding.Device {
	return onboarding.Device{ApplicationID: appID, UserID: user, PublicKey: []byte{4, 5}, CertSerial: "0a", ActivityID: "act"}
}

func testDevices(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	d, err := s.AddDevice(ctx, device(a.ID, "u1"), 2)
	if err != nil {
		t.Fatalf("AddDevice: %v", err)
	}
	if d.ID == "" || d.CreatedAt.IsZero() || d.State != onboarding.DeviceActive {
		t.Errorf("AddDevice did not set ID, CreatedAt, State: %+v", d)
	}
	got, err := s.GetDevice(ctx, d.ID)
	if err != nil || got.UserID != "u1" || got.CertSerial != "0a" || !bytes.Equal(got.PublicKey, []byte{4, 5}) || got.ActivityID != "act" {
		t.Errorf("GetDevice = %+v, %v", got, err)
	}
	if _, err := s.AddDevice(ctx, device(a.ID, "u1"), 2); err != nil {
		t.Fatalf("second AddDevice: %v", err)
	}
	if _, err := s.AddDevice(ctx, device(a.ID, "u1"), 2); !errors.Is(err, onboarding.ErrDeviceLimit) {
		t.Errorf("third AddDevice = %v, want ErrDeviceLimit", err)
	}
	if _, err := s.AddDevice(ctx, device(a.ID, "u2"), 2); err != nil {
		t.Errorf("other user's AddDevice: %v", err)
	}
	list, err := s.ListDevices(ctx, a.ID, "u1")
	if err != nil || len(list) != 2 || list[0].ID != d.ID {
		t.Errorf("ListDevices = %d, %v", len(list), err)
	}
	del, err := s.DeleteDevice(ctx, d.ID)
	if err != nil || del.ID != d.ID {
		t.Fatalf("DeleteDevice = %+v, %v", del, err)
	}
	if _, err := s.GetDevice(ctx, d.ID); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("GetDevice after delete = %v", err)
	}
	if _, err := s.DeleteDevice(ctx, d.ID); !errors.Is(err, onboarding.ErrNotFound) {
		t.Errorf("DeleteDevice again = %v", err)
	}
	mine := device(a.ID, "u1")
	mine.ID = "my-device-id"
	if d, err := s.AddDevice(ctx, mine, 2); err != nil || d.ID != "my-device-id" {
		t.Errorf("AddDevice with an ID, after a delete = %q, %v", d.ID, err)
	}
	if d, err := s.GetDevice(ctx, "my-device-id"); err != nil || d.ID != "my-device-id" {
		t.Errorf("GetDevice(caller's ID) = %q, %v", d.ID, err)
	}
}

func testDeviceLimitConcurrent(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.AddDevice(ctx, device(a.ID, "u1"), 1)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, onboarding.ErrDeviceLimit):
			t.Errorf("AddDevice: %v", err)
		}
	}
	list, _ := s.ListDevices(ctx, a.ID, "u1")
	if ok != 1 || len(list) != 1 {
		t.Errorf("%d concurrent enrolments succeeded, %d devices; want exactly 1", ok, len(list))
	}
}

func testDeleteUserDevices(t *testing.T, s onboarding.Store) {
	ctx := context.Background()
	a := mustApp(t, s, "Bank")
	b := mustApp(t, s, "Other")
	for _, id := range []string{a.ID, b.ID} {
		for _, u := range []string{"u1", "u2"} {
			if _, err := s.AddDevice(ctx, device(id, u), 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	del, err := s.DeleteUserDevices(ctx, "u1")
	if err != nil || len(del) != 2 {
		t.Fatalf("DeleteUserDevices = %d, %v; want 2", len(del), err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if l, _ := s.ListDevices(ctx, id, "u1"); len(l) != 0 {
			t.Errorf("u1 still has %d devices", len(l))
		}
		if l, _ := s.ListDevices(ctx, id, "u2"); len(l) != 1 {
			t.Errorf("u2 has %d devices, want 1", len(l))
		}
	}
	if del, err := s.DeleteUserDevices(ctx, "nobody"); err != nil || len(del) != 0 {
		t.Errorf("DeleteUserDevices(nobody) = %d, %v", len(del), err)
	}
}
