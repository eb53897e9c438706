package activation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	s, err := Settings{Enabled: true}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, 12, s.CodeLength)
	assert.Equal(t, 30, s.ExpiryDays)
	assert.Equal(t, 15, s.PasswordSetMinutes)
	assert.Equal(t, 5, s.MaxStrikes)
	assert.Equal(t, 15*time.Minute, s.LockoutDuration)
	assert.Equal(t, 0, s.HyphenEvery)
	assert.Equal(t, 5, s.BatchAdminMaxFailures)
	assert.Equal(t, 15*time.Minute, s.BatchAdminBlockDuration)
}

func TestSettingsInvalidReportsEveryField(t *testing.T) {
	t.Parallel()
	_, err := Settings{CodeLength: 3, ExpiryDays: -1, HyphenEvery: -2, PasswordSetMinutes: -1, MaxStrikes: -1, LockoutDuration: -time.Second,
		BatchAdminMaxFailures: -1, BatchAdminBlockDuration: -time.Second}.withDefaults()
	require.Error(t, err)
	for _, field := range []string{"CodeLength", "ExpiryDays", "HyphenEvery", "PasswordSetMinutes", "MaxStrikes", "LockoutDuration",
		"BatchAdminMaxFailures", "BatchAdminBlockDuration"} {
		assert.Contains(t, err.Error(), field)
	}
}
