package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/usher-sdk/usher/directory/syncapi"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// sqlitePath returns the path of a "sqlite:PATH" store setting.
func sqlitePath(spec string) (string, bool) {
	p, ok := strings.CutPrefix(spec, "sqlite:")
	return p, ok
}

// openStore opens the user store a "store" setting names: "sqlite:PATH",
// or a PostgreSQL DSN as a URL ("postgres://..." or "postgresql://...")
// or, after "postgres:", in key=value form.
func openStore(ctx context.Context, spec string) (userstore.Store, error) {
	if p, ok := sqlitePath(spec); ok {
		s, err := sqlstore.OpenSQLite(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("setting \"store\": %w", err)
		}
		return s, nil
	}
	dsn := spec
	if !strings.HasPrefix(spec, "postgres://") && !strings.HasPrefix(spec, "postgresql://") {
		rest, ok := strings.CutPrefix(spec, "postgres:")
		if !ok {
			return nil, fmt.Errorf("setting \"store\": %q is neither sqlite:PATH nor a PostgreSQL DSN (postgres://...)", redactDSN(spec))
		}
		dsn = rest
	}
	s, err := sqlstore.OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("setting \"store\": %w", err)
	}
	return s, nil
}

// storeServer is the store setting that makes the Usher server at the
// "server" setting the target, through its sync API (directory/syncapi).
const storeServer = "server"

// remoteTarget is the Usher server at cfg.Server as the sync target,
// authenticated with cfg.Token (a token of scope sync). Its requests
// have no overall deadline, since a full sync's stream of records runs as
// long as it needs; the context ends them, and a server that stops
// answering is given up after a minute.
func (a *app) remoteTarget(cfg *Config) *syncapi.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = time.Minute
	return &syncapi.Client{
		BaseURL: strings.TrimRight(cfg.Server, "/") + "/api/sync", Token: cfg.Token, Organization: cfg.OrgID,
		HTTPClient: &http.Client{Transport: tr},
	}
}

// checkStoreSpec checks the form of a store setting without opening it.
func checkStoreSpec(spec string) error {
	if spec == storeServer {
		return nil
	}
	if p, ok := sqlitePath(spec); ok {
		if p == "" {
			return fmt.Errorf("store %q: the SQLite path is empty", spec)
		}
		return nil
	}
	for _, pre := range []string{"postgres://", "postgresql://", "postgres:"} {
		if strings.HasPrefix(spec, pre) && len(spec) > len(pre) {
			return nil
		}
	}
	return fmt.Errorf("store %q is neither sqlite:PATH nor a PostgreSQL DSN (postgres://...)", redactDSN(spec))
}

// redactDSN hides a password in a DSN before it is shown.
func redactDSN(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return s[:i+3] + rest[:c] + ":xxxxx" + rest[at:]
			}
		}
	}
	if strings.Contains(s, "password=") {
		return "(a DSN with a password)"
	}
	return s
}
