package smstest_test

import (
	"testing"

	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/onboarding/sms/smstest"
)

// TestRunCodeStore is also the way to use the suite: a store package
// calls RunCodeStore from its own test with a factory of fresh stores.
func TestRunCodeStore(t *testing.T) {
	smstest.RunCodeStore(t, func(*testing.T) sms.CodeStore { return &sms.MemStore{} })
}
