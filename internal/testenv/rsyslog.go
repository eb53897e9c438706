package testenv

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Rsyslog is a private rsyslogd on loopback that writes every message it
// receives, as received, one per line, to a file.
type Rsyslog struct {
	UDP, TCP, TLS string // host:port of each listener
	// CAFile is the PEM certificate of the TLS listener, which is its own
	// CA; ServerName is the name it holds.
	CAFile     string
	ServerName string
	out        string
}

// StartRsyslog starts a private rsyslogd with UDP, TCP and TLS (gtls)
// listeners, stopped when the test ends. Without rsyslogd (Debian:
// rsyslog and rsyslog-gnutls, which `make test` installs) the test is
// skipped, or fails when CI=true.
func StartRsyslog(tb testing.TB) *Rsyslog {
	tb.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		bin = "/usr/sbin/rsyslogd"
		if _, err := os.Stat(bin); err != nil {
			msg := "rsyslogd is not installed (Debian: apt-get install rsyslog rsyslog-gnutls; `make test` installs it)"
			if InCI() {
				tb.Fatal(msg + " (CI=true: missing servers fail the run)")
			}
			tb.Skip(msg)
		}
	}
	dir := tb.TempDir()
	cert, key := selfSigned(tb)
	r := &Rsyslog{CAFile: filepath.Join(dir, "cert.pem"), ServerName: "localhost", out: filepath.Join(dir, "out.log")}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(r.CAFile, cert, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		tb.Fatal(err)
	}
	ports := freePorts(tb, 3)
	r.UDP, r.TCP, r.TLS = "127.0.0.1:"+ports[0], "127.0.0.1:"+ports[1], "127.0.0.1:"+ports[2]
	conf := fmt.Sprintf(`global(workDirectory=%[1]q
  DefaultNetstreamDriverCAFile=%[2]q DefaultNetstreamDriverCertFile=%[2]q DefaultNetstreamDriverKeyFile=%[3]q)
module(load="imudp")
module(load="imtcp" maxSessions="100")
input(type="imudp" address="127.0.0.1" port=%[4]q)
input(type="imtcp" address="127.0.0.1" port=%[5]q)
input(type="imtcp" address="127.0.0.1" port=%[6]q streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="raw" type="string" string="%%rawmsg%%\n")
action(type="omfile" file=%[7]q template="raw" flushOnTXEnd="on" asyncWriting="off")
`, dir, r.CAFile, keyFile, ports[0], ports[1], ports[2], r.out)
	confFile := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start rsyslogd: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range []string{r.TCP, r.TLS} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("rsyslogd did not listen on %s: %v\n%s", addr, err, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return r
}

// Lines returns the messages received so far.
func (r *Rsyslog) Lines() []string {
	f, err := os.Open(r.out)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func freePorts(tb testing.TB, n int) []string {
	tb.Helper()
	var ports []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		ports = append(ports, p)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// selfSigned returns a certificate for localhost and 127.0.0.1 that is
// its own CA, and its key, as PEM.
func selfSigned(tb testing.TB) (certPEM, keyPEM []byte) {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		tb.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}
