package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/onboarding/sms/smstest"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
)

func TestSMSCodesSQLite(t *testing.T) {
	t.Parallel()
	smstest.RunCodeStore(t, func(t *testing.T) sms.CodeStore {
		return open(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db")).(*sqlstore.Store).SMSCodes()
	})
}

func TestSMSCodesPostgres(t *testing.T) {
	t.Parallel()
	smstest.RunCodeStore(t, func(t *testing.T) sms.CodeStore {
		return open(t, testenv.PostgresDB(t)).(*sqlstore.Store).SMSCodes()
	})
}
