package activation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestThrottleBlocksAfterLimit(t *testing.T) {
	t.Parallel()
	th := newThrottle(3, 10*time.Minute, 100)
	now := t0
	for i := 1; i <= 3; i++ {
		ok, _ := th.begin("192.0.2.1", now)
		require.True(t, ok, "attempt %d", i)
		failures, until := th.fail("192.0.2.1", now)
		assert.Equal(t, i, failures)
		if i < 3 {
			assert.True(t, until.IsZero(), "attempt %d does not block", i)
		} else {
			assert.Equal(t, now.Add(10*time.Minute), until, "the third blocks")
		}
		now = now.Add(time.Minute)
	}
	blockEnd := t0.Add(2*time.Minute + 10*time.Minute)
	for _, at := range []time.Time{now, blockEnd.Add(-time.Nanosecond)} {
		ok, until := th.begin("192.0.2.1", at)
		assert.False(t, ok, "blocked at %v", at)
		assert.Equal(t, blockEnd, until, "attempts during the block do not extend it")
	}
	ok, _ := th.begin("192.0.2.2", now)
	assert.True(t, ok, "another address is not blocked")
	th.succeed("192.0.2.2")

	ok, _ = th.begin("192.0.2.1", blockEnd)
	require.True(t, ok, "the block ends")
	failures, until := th.fail("192.0.2.1", blockEnd)
	assert.Equal(t, 1, failures, "the count starts again after a block")
	assert.True(t, until.IsZero())
}

func TestThrottleForgetsOldFailuresAndResetsOnSuccess(t *testing.T) {
	t.Parallel()
	th := newThrottle(2, 10*time.Minute, 100)
	ok, _ := th.begin("a", t0)
	require.True(t, ok)
	th.fail("a", t0)
	later := t0.Add(10 * time.Minute)
	ok, _ = th.begin("a", later)
	require.True(t, ok)
	failures, until := th.fail("a", later)
	assert.Equal(t, 1, failures, "a failure older than the block duration is forgotten")
	assert.True(t, until.IsZero())

	ok, _ = th.begin("a", later)
	require.True(t, ok)
	th.succeed("a")
	assert.Equal(t, 0, th.size(), "a right attempt forgets the address")
	ok, _ = th.begin("a", later)
	require.True(t, ok)
	failures, _ = th.fail("a", later)
	assert.Equal(t, 1, failures)
}

// Attempts under way count against the limit: concurrent requests from
// one address cannot get more than the limit checked between them.
func TestThrottleCountsAttemptsUnderWay(t *testing.T) {
	t.Parallel()
	th := newThrottle(2, time.Minute, 100)
	for i := range 2 {
		ok, _ := th.begin("a", t0)
		require.True(t, ok, "attempt %d", i)
	}
	ok, until := th.begin("a", t0)
	assert.False(t, ok, "a third while two are checked")
	assert.True(t, until.IsZero(), "not blocked, only full")
	th.release("a") // no verdict: nothing counted
	ok, _ = th.begin("a", t0)
	assert.True(t, ok)
}

func TestThrottleKey(t *testing.T) {
	t.Parallel()
	long := fmt.Sprintf("%0100d", 0)
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"@unix", "@unix"},
		{long, long[:maxThrottleKey]},
	} {
		assert.Equal(t, tc.want, throttleKey(tc.remote), tc.remote)
	}
}

// discardAudit is a store whose audit trail forgets everything, so that
// a flood does not fill the test's memory.
type discardAudit struct{ userstore.Store }

func (discardAudit) AppendAudit(context.Context, userstore.AuditEvent) error { return nil }

// TestThrottleTableIsBounded: wrong attempts from 100,000 distinct
// addresses leave at most throttleCapacity in the table, and the address
// that came last is still remembered.
func TestThrottleTableIsBounded(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	wrong := AuthenticatorFunc(func(context.Context, string, string, string) (bool, error) { return false, nil })
	m, err := New(discardAudit{store}, make([]byte, 32), PasswordSetterFunc(func(context.Context, string, string) error { return nil }),
		Settings{Enabled: true, BatchAdmins: []string{"importer"}, BatchAdminMaxFailures: 1},
		WithAuthenticator(wrong), WithClock(func() time.Time { return t0 }))
	require.NoError(t, err)
	ctx := context.Background()
	var last string
	for i := range 100_000 {
		last = fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)
		require.ErrorIs(t, m.checkBatchAdmin(ctx, "importer", "guess", last), errBatchRefused)
		if i%10_000 == 0 {
			require.LessOrEqual(t, m.batch.size(), throttleCapacity)
		}
	}
	assert.Equal(t, throttleCapacity, m.batch.size(), "full, not beyond")
	ok, until := m.batch.begin(throttleKey(last), t0)
	assert.False(t, ok, "the latest address is still blocked")
	assert.False(t, until.IsZero())

	// Blocks end and the table empties as new addresses come.
	later := t0.Add(m.settings.BatchAdminBlockDuration)
	m.now = func() time.Time { return later }
	require.ErrorIs(t, m.checkBatchAdmin(ctx, "importer", "guess", "192.0.2.99"), errBatchRefused)
	assert.Equal(t, 1, m.batch.size(), "idle addresses are dropped")
}
