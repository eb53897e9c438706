// Package smtpd runs a private SMTP server for tests: Debian's aiosmtpd
// (package python3-aiosmtpd, which `make test` installs) in a child
// process on a loopback port, storing every message it accepts so that
// the test can read what arrived.
//
// [StartCLI] runs aiosmtpd's own command line, as the issue asks:
// /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT. [Start] runs a small
// script (usher_smtpd.py, embedded) on aiosmtpd's Controller for what the
// command line cannot do: AUTH with one user, implicit TLS and STARTTLS with
// a certificate the test generates.
//
// When python3 or aiosmtpd is missing, the test is skipped with a message
// that says to run `make test`, or, when CI=true, fails.
package smtpd

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/usher-sdk/usher/internal/testenv"
)

// Python is Debian's interpreter, whose dist-packages hold python3-aiosmtpd.
const Python = "/usr/bin/python3"

//go:embed usher_smtpd.py
var script []byte

// Mode is how the server protects its connections.
type Mode string

const (
	Plain    Mode = "plain"    // no TLS
	StartTLS Mode = "starttls" // STARTTLS offered and required before MAIL
	TLS      Mode = "tls"      // implicit TLS from the first byte
)

// Config describes a server for [Start].
type Config struct {
	Mode Mode // default Plain
	// Username and Password, when Username is set, are the one login the
	// server accepts; AUTH is then required. In Plain mode AUTH is offered
	// over the unencrypted connection.
	Username string
	Password string
	// ExcludeAuth lists AUTH mechanisms not to offer ("PLAIN", "LOGIN"),
	// to test a client's fallback. aiosmtpd offers both by default.
	ExcludeAuth []string
}

// Server is a running test server. It stops when the test ends.
type Server struct {
	Host    string         // 127.0.0.1
	Port    int            // the loopback port
	RootCAs *x509.CertPool // trusts the server's certificate (TLS modes)
	dir     string
}

// Message is one message the server accepted.
type Message struct {
	MailFrom string   `json:"mail_from"` // the envelope sender (MAIL FROM)
	RcptTos  []string `json:"rcpt_tos"`  // the envelope recipients (RCPT TO)
	Login    *string  `json:"login"`     // the user that logged in, nil without AUTH
	TLS      bool     `json:"tls"`       // whether the session was encrypted (STARTTLS)
	Data     string   `json:"data"`      // the message as received (RFC 5322)
}

// Need skips the test (fails it when CI=true) unless python3 with aiosmtpd
// is installed.
func Need(tb testing.TB) {
	tb.Helper()
	out, err := exec.Command(Python, "-c", "import aiosmtpd").CombinedOutput()
	if err == nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	msg := fmt.Sprintf("the test SMTP server is not available: %s cannot import aiosmtpd (%v: %s); "+
		"run `make test`, which installs python3-aiosmtpd", Python, err, lines[len(lines)-1])
	if testenv.InCI() {
		tb.Fatal(msg + " (CI=true: missing servers fail the run)")
	}
	tb.Skip(msg)
}

// StartCLI starts aiosmtpd through its own command line,
// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT`, in plain text and without
// AUTH, with the embedded handler that stores messages.
func StartCLI(tb testing.TB) *Server {
	tb.Helper()
	Need(tb)
	dir := tb.TempDir()
	writeScript(tb, dir)
	return start(tb, dir, func(port int) *exec.Cmd {
		cmd := exec.Command(Python, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:"+strconv.Itoa(port),
			"-c", "usher_smtpd.Store", filepath.Join(dir, "inbox"))
		cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
		return cmd
	}, nil)
}

// Start starts the embedded script on aiosmtpd's Controller as cfg says.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	Need(tb)
	dir := tb.TempDir()
	writeScript(tb, dir)
	if cfg.Mode == "" {
		cfg.Mode = Plain
	}
	var pool *x509.CertPool
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if cfg.Mode != Plain {
		pool = writeCert(tb, certFile, keyFile)
	}
	srv := start(tb, dir, func(port int) *exec.Cmd {
		args := []string{filepath.Join(dir, "usher_smtpd.py"), "--port", strconv.Itoa(port),
			"--dir", filepath.Join(dir, "inbox"), "--mode", string(cfg.Mode)}
		if cfg.Mode != Plain {
			args = append(args, "--cert", certFile, "--key", keyFile)
		}
		if cfg.Username != "" {
			args = append(args, "--user", cfg.Username, "--password", cfg.Password)
		}
		for _, m := range cfg.ExcludeAuth {
			args = append(args, "--exclude-auth", m)
		}
		return exec.Command(Python, args...)
	}, pool)
	return srv
}

// Messages returns the messages accepted so far, in order of arrival.
// The server stores a message before it answers 250, so a message whose
// send returned nil is there.
func (s *Server) Messages(tb testing.TB) []Message {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(s.dir, "inbox"))
	if err != nil {
		tb.Fatalf("smtpd: read inbox: %v", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	msgs := make([]Message, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(s.dir, "inbox", n))
		if err != nil {
			tb.Fatalf("smtpd: %v", err)
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("smtpd: %s: %v", n, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func writeScript(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, "usher_smtpd.py"), script, 0o600); err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "inbox"), 0o700); err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
}

// start runs the command on a free port and waits until the port accepts
// connections. A port taken between choosing and binding is retried.
func start(tb testing.TB, dir string, command func(port int) *exec.Cmd, pool *x509.CertPool) *Server {
	tb.Helper()
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("smtpd: %v", err)
		}
		cmd := command(port)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		// The script stops when its stdin closes, that is when this test
		// process goes away, even without cleanup.
		stdin, err := cmd.StdinPipe()
		if err != nil {
			tb.Fatalf("smtpd: %v", err)
		}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("smtpd: start %s: %v", Python, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitReady(port, exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			lastErr = fmt.Errorf("%v; stderr: %s", err, stderr.String())
			continue
		}
		tb.Cleanup(func() {
			_ = stdin.Close()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return &Server{Host: "127.0.0.1", Port: port, RootCAs: pool, dir: dir}
	}
	tb.Fatalf("smtpd: the server did not start: %v", lastErr)
	return nil
}

func waitReady(port int, exited <-chan error) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited early: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			// aiosmtpd greets first; reading the greeting proves it serves
			// (with implicit TLS the read times out, and that is enough).
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("port %d did not open within 20s", port)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeCert writes a self-signed certificate for 127.0.0.1 and localhost
// and its key (0600) and returns a pool that trusts it.
func writeCert(tb testing.TB, certFile, keyFile string) *x509.CertPool {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "usher test smtpd"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("smtpd: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// syncBuffer is a bytes.Buffer safe to write from the process's goroutine
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
