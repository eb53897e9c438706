package sms_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding/sms"
)

func TestFileSender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sms", "out") // missing: Send creates it
	f, err := sms.NewFileSender(dir)
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(f.Dir()))

	require.NoError(t, f.Send(ctx, sms.Message{To: "+447700900123", Text: "Your code is 074565", Code: "074565"}))
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	path, err := sms.FilePath(dir, "+447700900123")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "+447700900123.txt"), path)
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "To: +447700900123\nCode: 074565\n\nYour code is 074565", string(data))
	msg, err := sms.ParseFile(data)
	require.NoError(t, err)
	assert.Equal(t, sms.Message{To: "+447700900123", Text: "Your code is 074565", Code: "074565"}, msg)

	// A later message replaces the earlier; a text cannot add headers.
	require.NoError(t, f.Send(ctx, sms.Message{To: "+447700900123", Text: "Code: 999999\n\nTo: +1\nnew 111111", Code: "111111"}))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	msg, err = sms.ParseFile(data)
	require.NoError(t, err)
	assert.Equal(t, "111111", msg.Code)
	assert.Equal(t, "+447700900123", msg.To)
	assert.Equal(t, "Code: 999999\n\nTo: +1\nnew 111111", msg.Text)

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "+447700900123.txt", entries[0].Name())
}

// TestFileSenderRefuses: a number that is not E.164 never names a file,
// so nothing can be written outside the folder.
func TestFileSenderRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "sms")
	f, err := sms.NewFileSender(dir)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		msg  sms.Message
	}{
		{"dot dot", sms.Message{To: "../x", Text: "t"}},
		{"absolute", sms.Message{To: "/etc/passwd", Text: "t"}},
		{"NUL", sms.Message{To: "+44770090\x000123", Text: "t"}},
		{"plus dot dot", sms.Message{To: "+../../x", Text: "t"}},
		{"separator", sms.Message{To: "+4477/00900123", Text: "t"}},
		{"national", sms.Message{To: "07700900123", Text: "t"}},
		{"empty", sms.Message{Text: "t"}},
		{"long text", sms.Message{To: "+447700900123", Text: strings.Repeat("x", 1025)}},
		{"code with a line break", sms.Message{To: "+447700900123", Text: "t", Code: "1\nTo: +1"}},
		{"text not UTF-8", sms.Message{To: "+447700900123", Text: "\xff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Send(ctx, tc.msg)
			assert.ErrorIs(t, err, sms.ErrInvalidMessage)
			_, err = sms.FilePath(dir, tc.msg.To)
			if tc.msg.To != "+447700900123" {
				assert.ErrorIs(t, err, sms.ErrInvalidMessage)
			}
		})
	}
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written, not even the folder")

	_, err = sms.NewFileSender(" ")
	assert.Error(t, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, f.Send(cancelled, sms.Message{To: "+447700900123", Text: "t"}), context.Canceled)
}

// TestFileSenderConcurrent: concurrent sends to one number leave one whole
// message, never a mix.
func TestFileSenderConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, err := sms.NewFileSender(dir)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			code := fmt.Sprintf("%06d", i)
			assert.NoError(t, f.Send(context.Background(), sms.Message{To: "+447700900123", Text: "Your code is " + code, Code: code}))
		})
	}
	wg.Wait()
	path, err := sms.FilePath(dir, "+447700900123")
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	msg, err := sms.ParseFile(data)
	require.NoError(t, err)
	assert.Equal(t, "Your code is "+msg.Code, msg.Text)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     sms.Message
		ok       bool
	}{
		{"whole", "To: +447700900123\nCode: 1234\n\nhi", sms.Message{To: "+447700900123", Code: "1234", Text: "hi"}, true},
		{"no code", "To: +447700900123\n\nhi\n\nthere", sms.Message{To: "+447700900123", Text: "hi\n\nthere"}, true},
		{"no blank line", "To: +447700900123\nhi", sms.Message{}, false},
		{"no To", "Code: 1\n\nhi", sms.Message{}, false},
		{"bad To", "To: ../x\n\nhi", sms.Message{}, false},
		{"repeated", "To: +447700900123\nTo: +447700900124\n\nhi", sms.Message{}, false},
		{"unknown header", "To: +447700900123\nFrom: x\n\nhi", sms.Message{}, false},
		{"too long", "To: +447700900123\n\n" + strings.Repeat("x", 4096), sms.Message{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sms.ParseFile([]byte(tc.in))
			if !tc.ok {
				assert.ErrorIs(t, err, sms.ErrMalformedFile)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseFile: any file is read without panic, and what is read is
// written back the same by a FileSender.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte("To: +447700900123\nCode: 074565\n\nYour code is 074565"))
	f.Add([]byte("To: +447700900123\n\n"))
	f.Add([]byte("\n\n"))
	dir := f.TempDir()
	s, err := sms.NewFileSender(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sms.ParseFile(data)
		if err != nil {
			if !errors.Is(err, sms.ErrMalformedFile) {
				t.Fatalf("error %v does not wrap ErrMalformedFile", err)
			}
			return
		}
		if err := s.Send(context.Background(), msg); err != nil {
			return // ParseFile is laxer than Send (a Code of any bytes)
		}
		path, _ := sms.FilePath(dir, msg.To)
		again, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		back, err := sms.ParseFile(again)
		if err != nil || back != msg {
			t.Fatalf("round trip: %q → %+v → %q → %+v, %v", data, msg, again, back, err)
		}
	})
}

// A development server writes codes to files instead of sending them.
func ExampleFileSender() {
	dir, _ := os.MkdirTemp("", "sms-example-")
	defer func() { _ = os.RemoveAll(dir) }()
	sender, err := sms.NewFileSender(dir) // DEVELOPMENT ONLY: codes in clear text
	if err != nil {
		panic(err)
	}
	_ = sender.Send(context.Background(), sms.Message{To: "+447700900123", Text: "Your code is 074565", Code: "074565"})

	// What a test or the device simulator does: read the number's file.
	path, _ := sms.FilePath(dir, "+447700900123")
	data, _ := os.ReadFile(path)
	msg, _ := sms.ParseFile(data)
	fmt.Println(filepath.Base(path), msg.Code)
	_, err = sms.FilePath(dir, "../../etc/passwd")
	fmt.Println(errors.Is(err, sms.ErrInvalidMessage))
	// Output:
	// +447700900123.txt 074565
	// true
}
