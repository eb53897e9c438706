package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keptPTYs holds the pseudo-terminals openPTY keeps open: an *os.File
// nothing refers to is closed by its finalizer, and a terminal whose
// controller is closed answers every call with EIO (the flake of
// TestPasswordHiddenOnTerminal in CI: a GC between opening the kept
// terminal and reading its settings).
var (
	keptMu   sync.Mutex
	keptPTYs []*os.File
)

// openPTY opens a pseudo-terminal and returns its controller and its
// terminal, or skips the test where that is not possible. With keep, the
// files stay open until the process ends: a read left blocked on the
// terminal then cannot go on reading from a later test's file that got
// the same descriptor number.
func openPTY(t *testing.T, keep bool) (controller, tty *os.File) {
	t.Helper()
	// Non-blocking, so that os.File polls it and read deadlines work.
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	ptmx := os.NewFile(uintptr(fd), "/dev/ptmx")
	if !keep {
		t.Cleanup(func() { _ = ptmx.Close() })
	}
	unlock := int32(0)
	if err := ioctl(ptmx, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	var n uint32
	if err := ioctl(ptmx, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Skipf("ptsname: %v", err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	if keep {
		keptMu.Lock()
		keptPTYs = append(keptPTYs, ptmx, pts)
		keptMu.Unlock()
	} else {
		t.Cleanup(func() { _ = pts.Close() })
	}
	return ptmx, pts
}

// ioctl calls ioctl(2) on f without f.Fd, which would make f blocking
// and end its read deadlines.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// echoOn reports whether the terminal echoes what is typed.
func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	require.NoError(t, ioctl(tty, syscall.TCGETS, unsafe.Pointer(&tio)))
	return tio.Lflag&syscall.ECHO != 0
}

// waitFor waits until out holds s.
func waitFor(t *testing.T, out *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %q", s, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPasswordHiddenOnTerminal: on a terminal the password is read with
// echo off (nothing of it comes back to the terminal), and echo is on
// again afterwards, also when the read is interrupted.
func TestPasswordHiddenOnTerminal(t *testing.T) {
	t.Parallel()
	controller, tty := openPTY(t, false)
	require.True(t, echoOn(t, tty))
	var out, errOut syncBuffer
	a := newApp(tty, &out, &errOut)
	require.NotNil(t, a.tty, "the terminal is recognised")

	type result struct {
		pw  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := a.askPassword(context.Background())
		done <- result{pw, err}
	}()
	waitFor(t, &out, "Password: ")
	// ReadPassword turns echo off before it reads; wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for echoOn(t, tty) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := controller.WriteString("s3cret words\n")
	require.NoError(t, err)
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the password was not read")
	}
	require.NoError(t, r.err)
	assert.Equal(t, "s3cret words", r.pw)
	assert.True(t, echoOn(t, tty), "echo is on again")
	require.NoError(t, controller.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	buf := make([]byte, 256)
	n, err := controller.Read(buf)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Logf("reading the terminal's output: %v", err)
	}
	assert.NotContains(t, string(buf[:n]), "s3cret", "the terminal did not echo the password")

	// Interrupted: echo is restored before askPassword returns. The read
	// stays blocked (the program would end now), so this terminal is kept.
	_, tty = openPTY(t, true)
	a = newApp(tty, &out, &errOut)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		pw, err := a.askPassword(ctx)
		done <- result{pw, err}
	}()
	deadline = time.Now().Add(10 * time.Second)
	for echoOn(t, tty) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.False(t, echoOn(t, tty), "echo is off while the password is asked")
	cancel()
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("askPassword did not return when interrupted")
	}
	assert.ErrorIs(t, r.err, context.Canceled)
	assert.True(t, echoOn(t, tty), "echo is on again after the interruption")
}
