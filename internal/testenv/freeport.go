package testenv

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreeAddr returns a loopback address ("127.0.0.1:port") that nothing
// listens on, for a test that starts a listener there later, or stops and
// starts one there again. The port lies below the kernel's ephemeral range
// (Linux: /proc/sys/net/ipv4/ip_local_port_range), where neither an
// outgoing connection nor another test's listener on port 0 can take it
// in the meantime, as they could a port freed by closing a listener.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
				low = n
			}
		}
	}
	for range 200 {
		addr := "127.0.0.1:" + strconv.Itoa(10000+rand.IntN(low-10000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken
		}
		if err := ln.Close(); err == nil {
			return addr
		}
	}
	tb.Fatalf("testenv: no free port found below %d", low)
	return ""
}
