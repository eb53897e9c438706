package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SCEPServerModule is the SCEP CA the tests run: micromdm's scepserver.
const SCEPServerModule = "github.com/micromdm/scep/v2/cmd/scepserver@v2.3.0"

// scepServerBinary finds scepserver on PATH or installs it into the user's
// cache with `go install`; when neither works the test is skipped, or
// fails in CI.
func scepServerBinary(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("scepserver"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	gobin := filepath.Join(cache, "usher-test", "scepserver-v2.3.0")
	bin := filepath.Join(gobin, "scepserver")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", SCEPServerModule)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("testenv: scepserver not found and `go install %s` failed: %v\n%s", SCEPServerModule, err, out)
		if InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// StartSCEPServer runs a fresh scepserver CA on loopback for the test and
// returns its SCEP URL. challenge "" runs it without a challenge password;
// extra are more flags. The server is killed when the test ends.
func StartSCEPServer(tb testing.TB, challenge string, extra ...string) string {
	tb.Helper()
	bin := scepServerBinary(tb)
	depot := filepath.Join(tb.TempDir(), "depot")
	if out, err := exec.Command(bin, "ca", "-init", "-depot", depot, "-keySize", "2048").CombinedOutput(); err != nil {
		tb.Fatalf("testenv: scepserver ca -init: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	args := append([]string{"-depot", depot, "-http-addr", addr}, extra...)
	if challenge != "" {
		args = append(args, "-challenge", challenge)
	}
	srv := exec.Command(bin, args...)
	if err := srv.Start(); err != nil {
		tb.Fatalf("testenv: start scepserver: %v", err)
	}
	tb.Cleanup(func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	url := "http://" + addr + "/scep"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "?operation=GetCACaps")
		if err == nil {
			_ = resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testenv: scepserver did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
