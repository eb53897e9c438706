package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/memstore"
)

// Application names are unique without regard to case.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	_, _ = s.CreateApplication(ctx, onboarding.Application{Name: "Bank"})
	_, err := s.CreateApplication(ctx, onboarding.Application{Name: "BANK"})
	fmt.Println(errors.Is(err, onboarding.ErrConflict))
	a, _ := s.GetApplicationByName(ctx, "bank")
	fmt.Println(a.Name, a.Limit())
	// Output:
	// true
	// Bank 1
}
