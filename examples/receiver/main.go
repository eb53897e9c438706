// Command receiver (installed as usher-receiver) is a callback receiver
// for trying Usher's authentication profiles: it listens on loopback,
// verifies each delivery's Standard Webhooks signature with the
// specification's reference Go library, drops duplicates by webhook-id (a
// delivery may arrive more than once), and prints one line per verified
// delivery. A delivery whose signature fails gets 401 and a line saying so.
//
//	usher-receiver -secret-file whsec.txt            # listen on 127.0.0.1:9000
//	usher-receiver -addr 127.0.0.1:9001 -secret whsec_…
//	usher-receiver -secret-file whsec.txt -once      # exit after the first verified delivery
//
// Each line is "verified <webhook-id> <method> <path> <body>", the body on
// one line as the receiver got it (at most 64 KiB are read). Exit codes:
// 0 done (-once, or interrupted), 1 failure, 2 usage.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-sdk/usher/internal/keyfile"
)

// maxBody is the most of a delivery's body the receiver reads, and
// maxSeen the most webhook-ids it remembers to drop duplicates.
const (
	maxBody = 64 << 10
	maxSeen = 10000
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is the whole program; ready, when not nil, gets the address it
// listens on.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("usher-receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	secret := fs.String("secret", "", `the profile's signing secret ("whsec_…"); prefer -secret-file`)
	secretFile := fs.String("secret-file", "", "file holding the signing secret (mode 0600)")
	once := fs.Bool("once", false, "exit after the first verified delivery")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*secret == "") == (*secretFile == "") {
		fmt.Fprintln(stderr, "usher-receiver: give exactly one of -secret and -secret-file")
		return 2
	}
	s := *secret
	if *secretFile != "" {
		b, err := keyfile.ReadSecret(*secretFile)
		if err != nil {
			fmt.Fprintln(stderr, "usher-receiver:", err)
			return 1
		}
		s = strings.TrimSpace(string(b))
	}
	wh, err := standardwebhooks.NewWebhook(s)
	if err != nil {
		fmt.Fprintln(stderr, "usher-receiver: secret:", err)
		return 1
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "usher-receiver:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := &handler{wh: wh, out: stdout, seen: map[string]bool{}}
	if *once {
		h.done = cancel
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stderr, "usher-receiver: listening on http://%s\n", l.Addr())
	if ready != nil {
		ready <- l.Addr().String()
	}
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "usher-receiver:", err)
		return 1
	}
	return 0
}

// handler verifies and prints deliveries.
type handler struct {
	wh   *standardwebhooks.Webhook
	out  io.Writer
	done func()

	mu   sync.Mutex
	seen map[string]bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.wh.Verify(body, r.Header); err != nil {
		fmt.Fprintf(h.out, "REFUSED %q %s %s: %v\n", id, r.Method, r.URL.RequestURI(), err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if h.seen[id] {
		w.WriteHeader(http.StatusNoContent) // a duplicate: already handled
		return
	}
	if len(h.seen) >= maxSeen {
		clear(h.seen) // a demo's memory stays bounded; old duplicates are rare
	}
	h.seen[id] = true
	fmt.Fprintf(h.out, "verified %s %s %s %s\n", id, r.Method, r.URL.RequestURI(), bytes.ReplaceAll(body, []byte("\n"), []byte(" ")))
	w.WriteHeader(http.StatusNoContent)
	if h.done != nil {
		h.done()
	}
}
