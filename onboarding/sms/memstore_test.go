package sms_test

import (
	"testing"

	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/onboarding/sms/smstest"
)

func TestMemStoreConformance(t *testing.T) {
	t.Parallel()
	smstest.RunCodeStore(t, func(*testing.T) sms.CodeStore { return &sms.MemStore{} })
}
