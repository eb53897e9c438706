// Command server is Usher's reference server. Run it from the module root:
//
//	go run ./examples/server
//
// It listens on 127.0.0.1 (flag -addr, default 127.0.0.1:8080) and answers
// GET /healthz; it keeps no data yet. It is
// the place where Usher's packages are wired together: as they land, it
// grows an HTTP API and an admin page for users, directory sync, device
// onboarding, activation codes and push sign-in approvals.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (keep it on loopback unless you put TLS in front)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, logger, os.Stdout); err != nil {
		logger.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, addr string, logger *slog.Logger, out *os.File) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           newMux(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(out, "Usher reference server on http://%s/\n", ln.Addr())
	fmt.Fprintf(out, "  health: http://%s/healthz\n", ln.Addr())
	fmt.Fprintln(out, "  press Ctrl+C to stop")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	logger.Info("shutting down")
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
