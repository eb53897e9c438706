package csv_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/internal/sourcetest"
)

func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

func newNotakeySource(t *testing.T) (*csv.Source, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.csv")
	writeFile(t, path, "Username,Full name,Email,Phone,Password,Teams,Enabled\n"+
		"ada,Ada Lovelace,ada@example.test,,correct horse,eng,yes\n"+
		"off,Off Line,off@example.test,,correct horse,,no\n"+
		"nopw,No Password,nopw@example.test,,,,yes\n", time.Unix(1_700_000_000, 0))
	src, err := csv.Open(csv.Config{Name: "file", Path: path}, csv.WithHasher(testRegistry(t)))
	require.NoError(t, err)
	return src, path
}

func TestOpenRequiresPath(t *testing.T) {
	t.Parallel()
	_, err := csv.Open(csv.Config{})
	require.ErrorContains(t, err, `missing required field "Path"`)
}

func TestSourceLookup(t *testing.T) {
	t.Parallel()
	src, _ := newNotakeySource(t)
	assert.Equal(t, "file", src.Name())
	for _, login := range []string{"ada", "ADA", " ada ", "ada@example.test", "Ada@Example.Test"} {
		e, err := src.Lookup(context.Background(), login)
		require.NoError(t, err, login)
		assert.Equal(t, "Ada Lovelace", e.FullName)
		assert.Equal(t, "file", e.Source)
	}
	_, err := src.Lookup(context.Background(), "nobody")
	require.ErrorIs(t, err, directory.ErrNotFound)
	_, err = src.Lookup(context.Background(), "")
	require.ErrorIs(t, err, directory.ErrNotFound)

	// Entries handed out are copies.
	e, err := src.Lookup(context.Background(), "ada")
	require.NoError(t, err)
	e.Groups[0] = "changed"
	e2, err := src.Lookup(context.Background(), "ada")
	require.NoError(t, err)
	assert.Equal(t, []string{"eng"}, e2.Groups)
}

func TestSourceAuthenticate(t *testing.T) {
	t.Parallel()
	src, _ := newNotakeySource(t)
	cases := []struct {
		login, password string
		ok              bool
	}{
		{"ada", "correct horse", true},
		{"ada@example.test", "correct horse", true},
		{"ada", "wrong", false},
		{"ada", "", false},
		{"off", "correct horse", false}, // disabled
		{"nopw", "anything", false},     // no hash
		{"nobody", "correct horse", false},
	}
	for _, tc := range cases {
		t.Run(tc.login+"/"+tc.password, func(t *testing.T) {
			t.Parallel()
			e, ok, err := src.Authenticate(context.Background(), tc.login, tc.password)
			require.NoError(t, err)
			assert.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, "ada", e.Username)
			} else {
				assert.Equal(t, directory.Entry{}, e, "a refusal reveals nothing")
			}
		})
	}

	noHasher, err := csv.Open(csv.Config{Path: filepath.Join(t.TempDir(), "x.csv")})
	require.NoError(t, err)
	_, ok, err := noHasher.Authenticate(context.Background(), "ada", "correct horse")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestSourceUsersAndChanges(t *testing.T) {
	t.Parallel()
	src, path := newNotakeySource(t)
	ctx := context.Background()

	var names []string
	for e, err := range src.Users(ctx) {
		require.NoError(t, err)
		names = append(names, e.Username)
	}
	assert.Equal(t, []string{"ada", "off", "nopw"}, names)

	for e, err := range src.Users(ctx) { // break is honoured
		require.NoError(t, err)
		assert.Equal(t, "ada", e.Username)
		break
	}

	drain := func(cursor string) ([]string, string) {
		entries, next := sourcetest.DrainChanges(t, src.Changes(ctx, cursor), cursor)
		var got []string
		for _, e := range entries {
			got = append(got, e.Username)
		}
		return got, next
	}
	got, c1 := drain("")
	assert.Len(t, got, 3)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, c1)

	got, c2 := drain(c1)
	assert.Empty(t, got, "unchanged file: no changes")
	assert.Equal(t, c1, c2)

	// Touched but not changed: still no changes, same cursor.
	require.NoError(t, os.Chtimes(path, time.Unix(1_700_000_100, 0), time.Unix(1_700_000_100, 0)))
	got, c2 = drain(c1)
	assert.Empty(t, got)
	assert.Equal(t, c1, c2)

	writeFile(t, path, "Username,Full name\nada,Ada King\n", time.Unix(1_700_000_200, 0))
	got, c3 := drain(c1)
	assert.Equal(t, []string{"ada"}, got)
	assert.NotEqual(t, c1, c3)
	e, err := src.Lookup(ctx, "ada")
	require.NoError(t, err)
	assert.Equal(t, "Ada King", e.FullName)

}

// TestChangesBreakEarly: a consumer that stops after some entries has seen
// no cursor that would skip the entries it did not read.
func TestChangesBreakEarly(t *testing.T) {
	t.Parallel()
	src, _ := newNotakeySource(t)
	ctx := context.Background()
	var final string
	for c, err := range src.Changes(ctx, "") {
		require.NoError(t, err)
		final = c.Cursor
	}
	require.NotEmpty(t, final)

	for _, stop := range []int{1, 2, 3} {
		var seen []string
		for c, err := range src.Changes(ctx, "") {
			require.NoError(t, err)
			require.NotNil(t, c.Entry, "the final cursor comes only after every entry")
			seen = append(seen, c.Cursor)
			if len(seen) == stop {
				break
			}
		}
		for _, c := range seen {
			assert.Empty(t, c, "stopped after %d of 3 entries: only the cursor asked for", stop)
		}
	}

	// Resuming from the old cursor gives the unread entries again.
	var again []string
	for c, err := range src.Changes(ctx, "") {
		require.NoError(t, err)
		if c.Entry != nil {
			again = append(again, c.Entry.Username)
		}
	}
	assert.Equal(t, []string{"ada", "off", "nopw"}, again)
}

func TestSourceErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.csv")
	src, err := csv.Open(csv.Config{Path: path})
	require.NoError(t, err)

	_, err = src.Lookup(context.Background(), "ada")
	require.ErrorIs(t, err, directory.ErrUnavailable, "missing file")

	writeFile(t, path, "Username,Email\nada,bad\n", time.Unix(1_700_000_000, 0))
	var ie *csv.ImportError
	for _, err := range src.Users(context.Background()) {
		require.ErrorAs(t, err, &ie)
	}
	n := 0
	for c, err := range src.Changes(context.Background(), "") {
		n++
		require.ErrorAs(t, err, &ie)
		assert.Empty(t, c.Cursor, "no cursor with the error")
	}
	assert.Equal(t, 1, n, "the stream stops at its error")
}

func TestSourceConcurrent(t *testing.T) {
	t.Parallel()
	src, path := newNotakeySource(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if i == 0 && j%5 == 0 {
					writeFile(t, path, "Username\nada\n", time.Unix(int64(1_700_000_000+j), 0))
				}
				_, _ = src.Lookup(context.Background(), "ada")
				for range src.Users(context.Background()) {
				}
			}
		})
	}
	wg.Wait()
}
