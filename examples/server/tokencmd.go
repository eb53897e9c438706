package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// maxTokenTTL is the longest validity a token may be given, as on the
// admin page's list.
const maxTokenTTL = 10 * 365 * 24 * time.Hour

// tokenUsage is the help of the token subcommand.
const tokenUsage = `usage: server token create -name NAME -scopes SCOPE,SCOPE|all [-ttl 720h] [server settings]

Creates an API access token in the server's database and prints it once on
standard output (nothing else goes there). It opens the database the server
would open, with the same settings (-database, -config, USHER_* variables;
see server -help), and works while servers run on it. The database must
have been created by the server first: start it once.

  -name NAME      what the token is for, shown on the admin page
  -scopes LIST    comma-separated scopes, or "all": %s
  -ttl DURATION   how long it is valid (default: until revoked; at most 10 years)
`

// tokenCommand runs "server token …" (args are what follows "token") and
// returns the process's exit code: 0 done, 1 failure, 2 usage.
func tokenCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usage := func() { fmt.Fprintf(stderr, tokenUsage, strings.Join(knownScopes(), ", ")) }
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "create":
	case "-h", "-help", "--help", "help":
		usage()
		return 0
	default:
		fmt.Fprintf(stderr, "server token: unknown subcommand %q\n", args[0])
		usage()
		return 2
	}
	req, rest, err := parseTokenCreate(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "server token create:", err)
		return 2
	}
	cfg, err := loadSettings(rest, getenv, io.Discard)
	if err != nil {
		fmt.Fprintln(stderr, "server token create:", err)
		return 2
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // checked by loadSettings
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: max(level, slog.LevelWarn)}))
	t, secret, err := createTokenCommand(ctx, cfg, req, logger, time.Now)
	if err != nil {
		fmt.Fprintln(stderr, "server token create:", err)
		if errors.Is(err, errTokenInput) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, secret)
	expires := "until revoked"
	if !t.ExpiresAt.IsZero() {
		expires = "until " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "server token create: token %q (ID %s, scopes %s) valid %s; it is shown only now\n",
		t.Name, t.ID, strings.Join(t.Scopes, " "), expires)
	return 0
}

// tokenRequest is what "token create" was asked to make.
type tokenRequest struct {
	Name   string
	Scopes []string
	TTL    time.Duration
}

// parseTokenCreate reads the flags of "token create" and returns the
// server settings given among them, as flags for loadSettings.
func parseTokenCreate(args []string) (tokenRequest, []string, error) {
	fl := flag.NewFlagSet("server token create", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	name := fl.String("name", "", "")
	scopes := fl.String("scopes", "", "")
	ttl := fl.Duration("ttl", 0, "")
	own := map[string]bool{"name": true, "scopes": true, "ttl": true}
	// Every server setting is accepted too, and handed on unchanged.
	fl.String("config", "", "")
	for _, st := range settingsTable() {
		fl.String(st.name, "", "")
		if st.secret {
			fl.String(st.name+"-file", "", "")
		}
	}
	if err := fl.Parse(args); err != nil {
		return tokenRequest{}, nil, err
	}
	if fl.NArg() > 0 {
		return tokenRequest{}, nil, fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	var rest []string
	fl.Visit(func(f *flag.Flag) {
		if !own[f.Name] {
			rest = append(rest, "-"+f.Name+"="+f.Value.String())
		}
	})
	req := tokenRequest{Name: *name, TTL: *ttl}
	if *ttl < 0 || *ttl > maxTokenTTL {
		return tokenRequest{}, nil, fmt.Errorf("-ttl: at most %s (0: until revoked)", maxTokenTTL)
	}
	if strings.TrimSpace(*scopes) == "all" {
		req.Scopes = knownScopes()
	} else {
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" && !contains(req.Scopes, s) {
				req.Scopes = append(req.Scopes, s)
			}
		}
	}
	if strings.TrimSpace(req.Name) == "" {
		return tokenRequest{}, nil, errors.New("-name is required")
	}
	if len(req.Scopes) == 0 {
		return tokenRequest{}, nil, fmt.Errorf("-scopes is required: some of %s, or all", strings.Join(knownScopes(), ","))
	}
	return req, rest, nil
}

// createTokenCommand opens the server's database, creates the token as
// the admin page does (createToken) and records it in the audit trail.
// It neither migrates nor starts anything: a database the server has not
// made, or one of another schema, is refused.
func createTokenCommand(ctx context.Context, cfg settings, req tokenRequest, logger *slog.Logger, now func() time.Time) (accessToken, string, error) {
	if path, ok := strings.CutPrefix(cfg.Database, "sqlite:"); ok && !strings.HasPrefix(path, ":memory:") {
		// database.Open would create a missing file, readable by others.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return accessToken{}, "", fmt.Errorf("no database at %s: start the server once to create it (or give -database)", path)
		}
	}
	db, err := database.Open(ctx, cfg.Database, database.WithLogger(logger))
	if err != nil {
		return accessToken{}, "", err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx, component()); err != nil {
		return accessToken{}, "", fmt.Errorf("%w (start this version of the server once on the database: it migrates it)", err)
	}
	users, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations(), sqlstore.WithLogger(logger))
	if err != nil {
		return accessToken{}, "", fmt.Errorf("%w (start this version of the server once on the database: it migrates it)", err)
	}
	defer users.Close()
	srv := &serverDB{db: db, now: now}
	t, secret, err := srv.createToken(ctx, req.Name, req.Scopes, req.TTL, tokenCommandBy)
	if err != nil {
		return accessToken{}, "", err
	}
	err = users.AppendAudit(ctx, userstore.AuditEvent{Kind: "admin.token_created", Login: tokenCommandBy,
		Detail: map[string]string{"token_id": t.ID, "token_name": t.Name, "scopes": strings.Join(t.Scopes, " ")}})
	if err != nil {
		// The token exists: say so, but do not hide it.
		logger.Error("audit admin action", "kind", "admin.token_created", "err", err)
	}
	return t, secret, nil
}

// tokenCommandBy is who created a token made on the command line, on the
// admin page and in the audit trail.
const tokenCommandBy = "command line (server token create)"
