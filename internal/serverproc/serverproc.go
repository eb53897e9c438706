// Package serverproc runs the reference server (examples/server) as a
// process of its own, for the benchmark programs that measure it from
// outside: build it, start processes of it on one database, and sign in
// to make an access token. It is for internal/cmd only.
package serverproc

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"
)

// AdminPassword is the bootstrap admin's password of every process
// started here.
const AdminPassword = "serverproc admin password"

// ActivationKey is shared by every process started here, as processes on
// one database must share it.
const ActivationKey = "serverproc-shared-activation-key-0123456789"

// Build compiles examples/server into dir (run from the module root) and
// returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "usher-server")
	if out, err := exec.Command("go", "build", "-o", bin, "./examples/server").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./examples/server (run from the module root): %v\n%s", err, out)
	}
	return bin, nil
}

// Process is a running server.
type Process struct {
	// URL is where it listens, e.g. http://127.0.0.1:40123.
	URL string
	cmd *exec.Cmd
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop stops the process gracefully and waits for it.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
}

var listening = regexp.MustCompile(`Usher reference server on (https?://127\.0\.0\.1:\d+)/`)

// Start starts a process of bin on dsn, on a free loopback port, in dir
// (where its activation key file would go), logging errors only.
func Start(bin, dir, dsn string) (*Process, error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-database", dsn, "-log-level", "error")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "USHER_BOOTSTRAP_PASSWORD="+AdminPassword, "USHER_ACTIVATION_KEY="+ActivationKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case p.URL = <-found:
		return p, nil
	case <-time.After(60 * time.Second):
		p.Stop()
		return nil, fmt.Errorf("the server on %s did not start", dsn)
	}
}

var secretInPage = regexp.MustCompile(`<code id="secret">(ush_[A-Za-z0-9_-]+)</code>`)

// Token signs in on the admin page at base as the bootstrap admin and
// makes an access token with scopes.
func Token(base string, scopes ...string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := c.PostForm(base+"/admin/login", url.Values{"username": {"admin"}, "password": {AdminPassword}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	resp, err = c.PostForm(base+"/admin/tokens", url.Values{"name": {"serverproc"}, "scope": scopes})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := secretInPage.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("no token on the tokens page (status %s)", resp.Status)
	}
	return string(m[1]), nil
}
