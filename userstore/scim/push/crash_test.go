package push_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// Environment of the child process of TestFollower_KilledResumes.
const (
	envCrashChild = "USHER_PUSH_CRASH_CHILD" // "1" in the child
	envCrashDB    = "USHER_PUSH_CRASH_DB"    // the SQLite file
	envCrashURL   = "USHER_PUSH_CRASH_URL"   // the downstream's base URL
)

// TestFollower_KilledResumes follows a SQLite file's feed in a child process
// (this test binary again), kills it with SIGKILL while changes are pending,
// writes more, starts it again and checks that the downstream ends equal to
// the store, without duplicates.
func TestFollower_KilledResumes(t *testing.T) {
	if os.Getenv(envCrashChild) == "1" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usher.db")
	s, err := sqlstore.OpenSQLite(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	cursors, err := push.NewSQLCursors(ctx, s.DB(), true)
	require.NoError(t, err)

	p := newProvider(t, testToken)
	p.delay.Store(int64(3 * time.Millisecond)) // so that the kill lands mid-way

	var ids []string
	_, err = s.CreateGroup(ctx, userstore.Group{Name: "Everyone"})
	require.NoError(t, err)
	for i := range 60 {
		u := createUser(t, s, fmt.Sprintf("user%02d", i))
		require.NoError(t, s.AddMember(ctx, "Everyone", u.ID))
		ids = append(ids, u.ID)
	}
	last := func() int64 {
		var seq int64
		for ch, err := range s.Changes(ctx, 0) {
			require.NoError(t, err)
			seq = ch.Seq
		}
		return seq
	}
	cursor := func() int64 {
		seq, err := cursors.Load(ctx, "crash")
		require.NoError(t, err)
		return seq
	}

	child := startCrashChild(t, path, p.BaseURL())
	require.Eventually(t, func() bool { return cursor() > 0 }, 20*time.Second, time.Millisecond,
		"the child never saved a cursor")
	require.NoError(t, child.Process.Kill()) // SIGKILL
	_ = child.Wait()
	killedAt := cursor()
	require.Less(t, killedAt, last(), "nothing was pending at the kill")
	t.Logf("killed at cursor %d of %d, %d users downstream", killedAt, last(), len(p.users.snapshot()))

	// Changes made while no follower runs.
	u, err := s.GetUser(ctx, ids[0])
	require.NoError(t, err)
	u.DisplayName = "Renamed"
	_, err = s.UpdateUser(ctx, u)
	require.NoError(t, err)
	require.NoError(t, s.DeleteUser(ctx, ids[1]))
	require.NoError(t, s.RemoveMember(ctx, "Everyone", ids[2]))

	p.delay.Store(0)
	child = startCrashChild(t, path, p.BaseURL())
	want := last()
	require.Eventually(t, func() bool { return cursor() == want }, 30*time.Second, 5*time.Millisecond,
		"the restarted child did not catch up")
	require.NoError(t, child.Process.Kill())
	_ = child.Wait()

	assertMirrors(t, p, s, push.Deactivate)
	users := p.users.byExternalID(t)
	assert.Equal(t, "Renamed", users[ids[0]]["displayName"])
	assert.Equal(t, false, users[ids[1]]["active"])
	assert.Len(t, users, 60)
}

func startCrashChild(t *testing.T, path, url string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFollower_KilledResumes$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+path, envCrashURL+"="+url)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// crashChild follows the feed of the SQLite file until it is killed.
func crashChild() {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	db, err := database.OpenSQLite(ctx, os.Getenv(envCrashDB))
	if err != nil {
		fail(err)
	}
	s, err := sqlstore.New(ctx, db)
	if err != nil {
		fail(err)
	}
	cursors, err := push.NewSQLCursors(ctx, db, true)
	if err != nil {
		fail(err)
	}
	f, err := push.New(push.Config{
		BaseURL: os.Getenv(envCrashURL), Name: "crash", BatchSize: 7,
		PollInterval: 5 * time.Millisecond, RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	}, s, cursors, push.WithBearerToken(testToken))
	if err != nil {
		fail(err)
	}
	fail(f.Run(ctx))
}
