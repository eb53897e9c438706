package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/ldap"
)

// defaultConfigPath is where the configuration lives unless --config or
// USHER_SYNC_CONFIG says otherwise.
const defaultConfigPath = "usher-sync.json"

// Config is the agent's configuration file, written by init with mode
// 0600 because it holds secrets (the access token, bind passwords, client
// secrets). Relative paths in it are relative to the file's directory.
type Config struct {
	// OrgID is the organization ID; identifiers derive from it. Required.
	OrgID string `json:"orgId"`
	// Token is the access token for Server (scope sync). Optional; the
	// key upload and the store "server" use it.
	Token string `json:"token,omitempty"`
	// Server is the base URL of the Usher server the public key is
	// uploaded to, e.g. https://usher.example.com. Optional.
	Server string `json:"server,omitempty"`
	// PrivateKey and PublicKey are the organization key files (PEM).
	// Default org-key.pem and org-key.pub.pem beside the configuration.
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	// Source is where users come from. Required.
	Source SourceConfig `json:"source"`
	// Store is the user store: "sqlite:PATH" or a PostgreSQL DSN
	// ("postgres://..." or "postgres:host=... dbname=..."), or "server":
	// the Usher server at Server, through its sync API with Token, which
	// verifies every record against the uploaded public key. Required.
	Store string `json:"store"`
	// Mail is a mail configuration as userstore/mail.FromJSON reads it
	// (SMTP or M365), for email resend. Optional.
	Mail json.RawMessage `json:"mail,omitempty"`
	// Welcome is the welcome mail email resend sends.
	Welcome WelcomeConfig `json:"welcome,omitzero"`
	// Sync tunes plans and autosync.
	Sync SyncConfig `json:"sync,omitzero"`
}

// SourceConfig picks a source and holds its settings.
type SourceConfig struct {
	// Type is "csv", "ldap" or "graph".
	Type  string        `json:"type"`
	CSV   *CSVConfig    `json:"csv,omitempty"`
	LDAP  *ldap.Config  `json:"ldap,omitempty"`
	Graph *graph.Config `json:"graph,omitempty"`
}

// CSVConfig configures a CSV source (directory/csv).
type CSVConfig struct {
	// Name of the source. Default "csv".
	Name string `json:"name,omitempty"`
	// Path of the file. Required.
	Path string `json:"path"`
	// Format is "auto" (default), "puresync" or "notakey".
	Format string `json:"format,omitempty"`
	// SkipBadRows syncs the good rows of a file with bad ones. Default
	// false: a bad row stops the sync and names the line.
	SkipBadRows bool `json:"skipBadRows,omitempty"`
}

// WelcomeConfig is the welcome mail.
type WelcomeConfig struct {
	// Subject. Default "Welcome".
	Subject string `json:"subject,omitempty"`
	// Text is the body; "{name}" and "{username}" are replaced. Default: a
	// short greeting.
	Text string `json:"text,omitempty"`
}

// SyncConfig tunes plans and autosync.
type SyncConfig struct {
	// MaxDeactivateShare is the guard's largest share of active users one
	// sync may deactivate, 0 to 1. Default (absent) 0.2; 0 means no
	// deactivation without --force.
	MaxDeactivateShare *float64 `json:"maxDeactivateShare,omitempty"`
	// Interval between autosync's incremental steps, as a Go duration.
	// Default "1m".
	Interval string `json:"interval,omitempty"`
	// FullEvery is the time between full reconciliations. Default "24h".
	FullEvery string `json:"fullEvery,omitempty"`
	// CursorDir keeps autosync's change cursors. Default "cursors" beside
	// the configuration.
	CursorDir string `json:"cursorDir,omitempty"`
}

// loadConfig reads and checks the configuration at path, and resolves its
// relative paths against the file's directory.
func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("config %s does not exist; run usher-sync init first (or give --config)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	return c, nil
}

// check reports every missing or bad setting at once, each by its JSON
// name.
func (c *Config) check() error {
	var errs []error
	miss := func(name string) { errs = append(errs, fmt.Errorf("missing required setting %q", name)) }
	if c.OrgID == "" {
		miss("orgId")
	}
	if c.Store == "" {
		miss("store")
	}
	if c.Store == storeServer {
		if c.Server == "" {
			errs = append(errs, fmt.Errorf("setting %q is %q: the setting %q must name the server", "store", storeServer, "server"))
		}
		if c.Token == "" {
			errs = append(errs, fmt.Errorf("setting %q is %q: the setting %q must hold an access token of scope sync", "store", storeServer, "token"))
		}
	}
	if c.PrivateKey == "" {
		miss("privateKey")
	}
	switch c.Source.Type {
	case "csv":
		if c.Source.CSV == nil || c.Source.CSV.Path == "" {
			miss("source.csv.path")
		} else if _, err := csvFormat(c.Source.CSV.Format); err != nil {
			errs = append(errs, fmt.Errorf("setting %q: %w", "source.csv.format", err))
		}
	case "ldap":
		if c.Source.LDAP == nil {
			miss("source.ldap")
		}
	case "graph":
		if c.Source.Graph == nil {
			miss("source.graph")
		}
	case "":
		miss("source.type")
	default:
		errs = append(errs, fmt.Errorf("setting %q: unknown source type %q (want csv, ldap or graph)", "source.type", c.Source.Type))
	}
	if v := c.Sync.MaxDeactivateShare; v != nil && (*v < 0 || *v > 1) {
		errs = append(errs, fmt.Errorf("setting %q: %v is not between 0 and 1", "sync.maxDeactivateShare", *v))
	}
	for name, v := range map[string]string{"sync.interval": c.Sync.Interval, "sync.fullEvery": c.Sync.FullEvery} {
		if v == "" {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("setting %q: %q is not a positive duration such as \"5m\"", name, v))
		}
	}
	return errors.Join(errs...)
}

// resolve makes the relative paths of c relative to dir.
func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.PrivateKey)
	abs(&c.PublicKey)
	if c.Sync.CursorDir == "" {
		c.Sync.CursorDir = "cursors"
	}
	abs(&c.Sync.CursorDir)
	if c.Source.CSV != nil {
		abs(&c.Source.CSV.Path)
	}
	if p, ok := sqlitePath(c.Store); ok && !filepath.IsAbs(p) && p != ":memory:" {
		c.Store = "sqlite:" + filepath.Join(dir, p)
	}
}

// duration returns a checked duration setting, or def.
func duration(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}

// writeConfig writes c to path with mode 0600, atomically (a temporary
// file renamed over path).
func writeConfig(path string, c *Config) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".usher-sync-*.json")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("config: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// exposedSecrets returns a warning when the configuration file at path
// holds a secret (the access token, a bind password, a client secret, a
// mail configuration) and others than its owner may read it; "" otherwise.
func exposedSecrets(path string, c *Config) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	var held []string
	if c.Token != "" {
		held = append(held, "token")
	}
	if l := c.Source.LDAP; l != nil && l.BindPassword != "" {
		held = append(held, "source.ldap.bindPassword")
	}
	if g := c.Source.Graph; g != nil && g.ClientSecret != "" {
		held = append(held, "source.graph.clientSecret")
	}
	if len(c.Mail) > 0 && string(c.Mail) != "null" {
		held = append(held, "mail")
	}
	if len(held) == 0 {
		return ""
	}
	return fmt.Sprintf("config %s holds secrets (%s) and is readable by others (mode %04o); run: chmod 600 %s",
		path, strings.Join(held, ", "), fi.Mode().Perm(), path)
}

// planShare is the guard's share as directory.PlanOptions takes it: 0
// (its default) when the setting is absent, negative for a setting of 0
// (no deactivation without --force).
func (c SyncConfig) planShare() float64 {
	switch v := c.MaxDeactivateShare; {
	case v == nil:
		return 0
	case *v == 0:
		return -1
	default:
		return *v
	}
}
