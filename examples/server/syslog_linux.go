package main

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// errNotAcknowledged is a batch that the receiver's TCP has not
// acknowledged in time.
var errNotAcknowledged = errors.New("syslog: the receiver did not acknowledge the batch")

// acknowledged waits until the receiver's TCP has acknowledged every byte
// written on conn (a TCP connection, or TLS on one): until the socket's
// send queue (SIOCOUTQ: bytes unsent or unacknowledged) is empty, for up
// to timeout.
func acknowledged(conn net.Conn, timeout time.Duration) error {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	pause := 50 * time.Microsecond
	for {
		var queued int32
		var errno syscall.Errno
		if err := raw.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&queued)))
		}); err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		if queued == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errNotAcknowledged
		}
		time.Sleep(pause)
		pause = min(pause*2, 10*time.Millisecond)
	}
}
