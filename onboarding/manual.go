package onboarding

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

// KindManual is the kind of the Manual requirement.
const KindManual = "manual"

// Manual is the in-person requirement: the device shows the picture and
// comparison code of its key (package keyart), the request waits in the
// Manager's pending list (Manager.Pending) with the same picture and code
// derived from the key the server received, and an administrator compares
// them and approves or rejects. The answer is an empty object; the device
// then polls Manager.Status. It is safe for concurrent use and the Manager
// registers it unless Config.Requirements has another of its kind.
type Manual struct{}

// Kind returns KindManual.
func (Manual) Kind() string { return KindManual }

// Prompt tells the device to show its picture and code to an administrator.
func (Manual) Prompt(_ context.Context, sc StepContext) (Prompt, error) {
	art, err := keyart.OfSPKI(sc.Activity.PublicKey)
	if err != nil {
		return Prompt{}, fmt.Errorf("onboarding: manual: %w", err)
	}
	return Prompt{Kind: KindManual, Code: art.Code(), Message: "Show this picture and code to an administrator."}, nil
}

// Check puts the onboarding in the pending list.
func (Manual) Check(_ context.Context, sc StepContext, _ json.RawMessage) (Result, error) {
	art, err := keyart.OfSPKI(sc.Activity.PublicKey)
	if err != nil {
		return Result{}, fmt.Errorf("onboarding: manual: %w", err)
	}
	return Result{Outcome: Pending, Message: "Waiting for approval in person, code " + art.Code() + "."}, nil
}

var _ Requirement = Manual{}

func artOf(spki []byte) (keyart.Art, error) {
	art, err := keyart.OfSPKI(spki)
	if err != nil {
		return art, fmt.Errorf("onboarding: %w", err)
	}
	return art, nil
}
