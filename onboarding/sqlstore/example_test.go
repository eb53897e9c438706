package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
)

// The onboarding store shares the application's one database.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "db")
	defer os.RemoveAll(dir)
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "usher.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	s, err := sqlstore.New(ctx, db) // migrates the "onboarding" component
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := s.CreateApplication(ctx, onboarding.Application{Name: "Bank", DeviceLimit: 2,
		Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	_, err = s.AddDevice(ctx, onboarding.Device{ApplicationID: a.ID, UserID: "u1"}, a.Limit())
	fmt.Println(err)
	_, err = s.AddDevice(ctx, onboarding.Device{ApplicationID: a.ID, UserID: "u1"}, a.Limit())
	fmt.Println(err)
	_, err = s.AddDevice(ctx, onboarding.Device{ApplicationID: a.ID, UserID: "u1"}, a.Limit())
	fmt.Println(err)
	// Output:
	// <nil>
	// <nil>
	// sqlstore: onboarding: device limit reached
}
