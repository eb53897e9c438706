package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/ldap"
)

// initFlags are init's flags; each answers one question.
type initFlags struct {
	yes, overwrite, dryRun       bool
	orgID, token, server         string
	generateKeys, uploadKey      bool
	keyAlg, privateKey, publicKy string
	source, store, mailFile      string
	maxDeactivate                float64

	csvPath, csvFormat, csvName string

	ldapURL, ldapBindDN, ldapBindPassword, ldapBaseDN, ldapGroupDN string
	ldapCAFile, ldapDomain, ldapName, ldapDisabledAttr             string
	ldapTLSServerName                                              string
	ldapStartTLS, ldapAD                                           bool

	graphTenant, graphClientID, graphClientSecret, graphGroupID string

	customMapping bool
	mapping       directory.Mapping
}

func (f *initFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.BoolVar(&f.yes, "yes", false, "ask nothing: take defaults, fail on a required value without a flag")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the configuration (secrets hidden) and write nothing: no file, no key, no upload")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace an existing configuration file (keys are never replaced)")
	fs.StringVar(&f.orgID, "org-id", "", "organization ID (required)")
	fs.StringVar(&f.token, "token", getenv("USHER_SYNC_TOKEN"), "access token for the server (env USHER_SYNC_TOKEN)")
	fs.StringVar(&f.server, "server", "", "Usher server base URL the public key is uploaded to, e.g. https://usher.example.com")
	fs.BoolVar(&f.generateKeys, "generate-keys", true, "generate the organization key pair when it does not exist")
	fs.StringVar(&f.keyAlg, "key-alg", "ed25519", "key algorithm: ed25519 or p256")
	fs.StringVar(&f.privateKey, "private-key", "", "private key file (default org-key.pem beside the configuration)")
	fs.StringVar(&f.publicKy, "public-key", "", "public key file (default org-key.pub.pem beside the configuration)")
	fs.BoolVar(&f.uploadKey, "upload-key", false, "upload the public key to --server"+keysPath)
	fs.StringVar(&f.source, "source", "", "source type: csv, ldap or graph")
	fs.StringVar(&f.store, "store", "", "user store: sqlite:PATH or a PostgreSQL DSN (postgres://...)")
	fs.StringVar(&f.mailFile, "mail", "", "file with the mail configuration JSON (SMTP or M365) for email resend")
	fs.Float64Var(&f.maxDeactivate, "max-deactivate-share", 0.2, "largest share of active users one sync may deactivate (0: none without --force)")

	fs.StringVar(&f.csvPath, "csv-path", "", "CSV source: the file")
	fs.StringVar(&f.csvFormat, "csv-format", "auto", "CSV source: auto, puresync or notakey")
	fs.StringVar(&f.csvName, "csv-name", "csv", "CSV source: the source's name")

	fs.StringVar(&f.ldapURL, "ldap-url", "", "LDAP source: ldap://host or ldaps://host")
	fs.StringVar(&f.ldapBindDN, "ldap-bind-dn", "", "LDAP source: service account DN")
	fs.StringVar(&f.ldapBindPassword, "ldap-bind-password", getenv("USHER_SYNC_LDAP_PASSWORD"), "LDAP source: service account password (env USHER_SYNC_LDAP_PASSWORD)")
	fs.StringVar(&f.ldapBaseDN, "ldap-base-dn", "", "LDAP source: the subtree (OU) that holds the users")
	fs.StringVar(&f.ldapGroupDN, "ldap-group-dn", "", "LDAP source: only members of this group (optional)")
	fs.BoolVar(&f.ldapStartTLS, "ldap-start-tls", false, "LDAP source: StartTLS on ldap://")
	fs.StringVar(&f.ldapCAFile, "ldap-ca-file", "", "LDAP source: PEM file of the CA for ldaps:// and StartTLS")
	fs.StringVar(&f.ldapTLSServerName, "ldap-tls-server-name", "", "LDAP source: the name the server's certificate holds, when the URL names it otherwise (e.g. an IP address)")
	fs.BoolVar(&f.ldapAD, "ldap-ad", false, "LDAP source: Active Directory mode")
	fs.StringVar(&f.ldapDomain, "ldap-domain", "", "LDAP source: AD domain (UPN suffix)")
	fs.StringVar(&f.ldapDisabledAttr, "ldap-disabled-attribute", "", "LDAP source: a boolean attribute whose TRUE marks a disabled account (AD's userAccountControl is always read)")
	fs.StringVar(&f.ldapName, "ldap-name", "", "LDAP source: the source's name (default: the domain or host)")

	fs.StringVar(&f.graphTenant, "graph-tenant-id", "", "Azure AD source: tenant ID")
	fs.StringVar(&f.graphClientID, "graph-client-id", "", "Azure AD source: application (client) ID")
	fs.StringVar(&f.graphClientSecret, "graph-client-secret", getenv("USHER_SYNC_GRAPH_SECRET"), "Azure AD source: client secret (env USHER_SYNC_GRAPH_SECRET)")
	fs.StringVar(&f.graphGroupID, "graph-group-id", "", "Azure AD source: only members of this security group (optional)")

	fs.BoolVar(&f.customMapping, "custom-mapping", false, "LDAP and Azure AD: ask for each mapped attribute")
	fs.StringVar(&f.mapping.FullName, "map-full-name", "", "attribute of the full name")
	fs.StringVar(&f.mapping.Username, "map-username", "", "attribute of the username")
	fs.StringVar(&f.mapping.CorporateEmail, "map-corporate-email", "", "attribute of the corporate e-mail")
	fs.StringVar(&f.mapping.PersonalEmail, "map-personal-email", "", "attribute of the personal e-mail")
	fs.StringVar(&f.mapping.PhoneNumber, "map-phone", "", "attribute of the phone number")
	fs.StringVar(&f.mapping.Groups, "map-groups", "", "attribute of the groups")
	fs.StringVar(&f.mapping.Roles, "map-roles", "", "attribute of the roles")
}

// cmdInit writes the configuration, asking for what its flags do not say.
func (a *app) cmdInit(ctx context.Context, args []string) error {
	fs := a.newFlagSet("init", "")
	c := a.commonFlags(fs)
	var f initFlags
	f.register(fs, a.getenv)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 0, "no arguments (every answer has a flag)"); err != nil {
		return err
	}
	p := newPrompter(a.stdin, a.stdout, fs, !f.yes)
	cfgPath, err := filepath.Abs(c.config)
	if err != nil {
		return err
	}
	dir := filepath.Dir(cfgPath)

	if _, err := os.Stat(cfgPath); err == nil && !f.overwrite {
		if err := p.yesNo("overwrite", fmt.Sprintf("%s exists; replace it", cfgPath), false, &f.overwrite); err != nil {
			return err
		}
		if !f.overwrite {
			return fmt.Errorf("%s exists; nothing was changed (give --overwrite to replace it)", cfgPath)
		}
	}

	if !f.dryRun {
		// The keys are written beside the configuration by default.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("--config: %w", err)
		}
	}
	cfg := &Config{}
	if err := p.text("org-id", "Organization ID", "", true, &f.orgID); err != nil {
		return err
	}
	cfg.OrgID = strings.TrimSpace(f.orgID)
	if err := p.text("server", "Usher server URL (empty: none)", "", false, &f.server); err != nil {
		return err
	}
	cfg.Server = strings.TrimSpace(f.server)
	if err := checkServerURL(cfg.Server); err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	if err := p.text("token", "Access token (empty: none)", f.token, false, &f.token); err != nil {
		return err
	}
	cfg.Token = strings.TrimSpace(f.token)

	kp, err := a.askKeys(p, &f, cfg, dir)
	if err != nil {
		return err
	}
	if err := a.initSource(p, &f, cfg); err != nil {
		return err
	}
	if err := p.text("store", "User store (sqlite:PATH or postgres://...)", "sqlite:"+filepath.Join(dir, "usher.db"), true, &f.store); err != nil {
		return err
	}
	cfg.Store = absStore(strings.TrimSpace(f.store))
	if err := checkStoreSpec(cfg.Store); err != nil {
		return fmt.Errorf("--store: %w", err)
	}
	if err := p.text("mail", "Mail configuration JSON file for welcome mails (empty: none)", "", false, &f.mailFile); err != nil {
		return err
	}
	if f.mailFile != "" {
		if cfg.Mail, err = a.readMailConfig(f.mailFile); err != nil {
			return err
		}
	}
	cfg.Sync.MaxDeactivateShare = &f.maxDeactivate
	if err := cfg.check(); err != nil {
		return err
	}
	// Every answer is in and checked: now write, keys first.
	if err := a.makeKeys(ctx, kp, cfg, f.dryRun); err != nil {
		return err
	}
	if f.dryRun {
		data, _ := json.MarshalIndent(redacted(cfg), "", "  ")
		fmt.Fprintf(a.stdout, "dry run: would write %s (mode 0600):\n%s\nnothing was written\n", cfgPath, data)
		return nil
	}
	if err := writeConfig(cfgPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s (mode 0600: it holds secrets)\nnext: usher-sync status --config %s\n", cfgPath, cfgPath)
	return nil
}

// keyPlan is what init is to do about the organization key, decided
// before anything is written.
type keyPlan struct {
	generate bool
	alg      directory.KeyAlgorithm
	upload   bool
}

// askKeys settles the key paths and asks whether to generate the key pair
// (only when it does not exist: keys are never replaced) and whether to
// upload the public key. It writes nothing.
func (a *app) askKeys(p *prompter, f *initFlags, cfg *Config, dir string) (keyPlan, error) {
	var kp keyPlan
	cfg.PrivateKey, cfg.PublicKey = absPath(f.privateKey), absPath(f.publicKy)
	if cfg.PrivateKey == "" {
		cfg.PrivateKey = filepath.Join(dir, "org-key.pem")
	}
	if cfg.PublicKey == "" {
		cfg.PublicKey = filepath.Join(dir, "org-key.pub.pem")
	}
	_, privErr := os.Stat(cfg.PrivateKey)
	_, pubErr := os.Stat(cfg.PublicKey)
	haveKey := false
	switch {
	case privErr == nil:
		fmt.Fprintf(a.stdout, "keeping the existing organization key %s (keys are never overwritten)\n", cfg.PrivateKey)
		if _, err := directory.LoadPrivateKey(cfg.PrivateKey); err != nil {
			return kp, fmt.Errorf("--private-key: %w", err)
		}
		haveKey = true
	case pubErr == nil:
		return kp, fmt.Errorf("--public-key %s exists but its private key %s does not; move it away or give both paths", cfg.PublicKey, cfg.PrivateKey)
	default:
		if err := p.yesNo("generate-keys", "Generate the organization key pair", true, &f.generateKeys); err != nil {
			return kp, err
		}
		if f.generateKeys {
			kp.generate, haveKey = true, true
			kp.alg = directory.KeyAlgorithm(strings.ToLower(f.keyAlg))
			if kp.alg != directory.Ed25519 && kp.alg != directory.P256 {
				return kp, fmt.Errorf("--key-alg %q: want %s or %s", f.keyAlg, directory.Ed25519, directory.P256)
			}
		}
	}
	if cfg.Server == "" {
		if p.seen["upload-key"] && f.uploadKey {
			return kp, errors.New("--upload-key needs --server")
		}
		return kp, nil
	}
	if !haveKey {
		return kp, nil
	}
	if err := p.yesNo("upload-key", fmt.Sprintf("Upload the public key to %s%s", strings.TrimRight(cfg.Server, "/"), keysPath), cfg.Token != "", &f.uploadKey); err != nil {
		return kp, err
	}
	if f.uploadKey {
		if cfg.Token == "" {
			return kp, errors.New("uploading the public key needs the access token (--token)")
		}
		kp.upload = true
	}
	return kp, nil
}

// makeKeys carries out a keyPlan: it generates the key pair and uploads
// the public key. With dryRun it only says what it would do.
func (a *app) makeKeys(ctx context.Context, kp keyPlan, cfg *Config, dryRun bool) error {
	endpoint := strings.TrimRight(cfg.Server, "/") + keysPath
	if dryRun {
		if kp.generate {
			fmt.Fprintf(a.stdout, "would generate the organization key pair %s and %s\n", cfg.PrivateKey, cfg.PublicKey)
		}
		if kp.upload {
			fmt.Fprintf(a.stdout, "would upload the public key to %s\n", endpoint)
		}
		return nil
	}
	switch {
	case kp.generate:
		if err := directory.GenerateKeyFiles(kp.alg, cfg.PrivateKey, cfg.PublicKey); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("--private-key/--public-key: %w", err)
			}
			return err
		}
		fmt.Fprintf(a.stdout, "generated the organization key pair:\n  private %s (mode 0600)\n  public  %s\n", cfg.PrivateKey, cfg.PublicKey)
		fmt.Fprintf(a.stderr, "warning: back up %s now and keep it secret. It signs every synced user record; "+
			"if it is lost, a new key must be registered with the server; if it leaks, anyone can forge user records.\n", cfg.PrivateKey)
	case !fileExists(cfg.PrivateKey):
		fmt.Fprintf(a.stdout, "no key generated: put the organization's private key (PKCS #8 PEM, mode 0600) at %s before syncing\n", cfg.PrivateKey)
	}
	if !kp.upload {
		return nil
	}
	pemData, err := publicPEM(cfg.PrivateKey, cfg.PublicKey)
	if err != nil {
		return err
	}
	if err := a.uploadKey(ctx, cfg.Server, cfg.Token, cfg.OrgID, pemData); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "uploaded the public key to %s\n", endpoint)
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// initSource asks for the source and its connection and mapping.
func (a *app) initSource(p *prompter, f *initFlags, cfg *Config) error {
	def := ""
	switch {
	case f.csvPath != "":
		def = "csv"
	case f.ldapURL != "":
		def = "ldap"
	case f.graphTenant != "":
		def = "graph"
	}
	if err := p.choice("source", "Source", []string{"csv", "ldap", "graph"}, def, &f.source); err != nil {
		return err
	}
	cfg.Source.Type = f.source
	switch f.source {
	case "csv":
		if err := p.text("csv-path", "CSV file", "", true, &f.csvPath); err != nil {
			return err
		}
		if err := p.choice("csv-format", "CSV format", []string{"auto", "puresync", "notakey"}, "auto", &f.csvFormat); err != nil {
			return err
		}
		cfg.Source.CSV = &CSVConfig{Name: f.csvName, Path: absPath(f.csvPath), Format: f.csvFormat}
		return nil
	case "ldap":
		lc := &ldap.Config{}
		steps := []func() error{
			func() error {
				return p.text("ldap-url", "LDAP URL (ldap://host or ldaps://host)", "", true, &f.ldapURL)
			},
			func() error { return p.yesNo("ldap-ad", "Active Directory", false, &f.ldapAD) },
			func() error { return p.text("ldap-bind-dn", "Bind DN (empty: anonymous)", "", false, &f.ldapBindDN) },
			func() error {
				if f.ldapBindDN == "" {
					return nil
				}
				return p.text("ldap-bind-password", "Bind password", f.ldapBindPassword, true, &f.ldapBindPassword)
			},
			func() error { return p.text("ldap-base-dn", "Base DN of the users (an OU)", "", true, &f.ldapBaseDN) },
			func() error {
				return p.text("ldap-group-dn", "Only members of this group DN (empty: everyone under the base DN)", "", false, &f.ldapGroupDN)
			},
			func() error {
				if strings.HasPrefix(strings.ToLower(f.ldapURL), "ldaps://") {
					return nil
				}
				return p.yesNo("ldap-start-tls", "Use StartTLS", false, &f.ldapStartTLS)
			},
			func() error {
				if !f.ldapAD {
					return nil
				}
				return p.text("ldap-domain", "AD domain (UPN suffix)", "", false, &f.ldapDomain)
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		lc.Name, lc.URL, lc.StartTLS, lc.RootCAFile = f.ldapName, f.ldapURL, f.ldapStartTLS, absPath(f.ldapCAFile)
		lc.TLSServerName = f.ldapTLSServerName
		lc.BindDN, lc.BindPassword, lc.BaseDN, lc.GroupDN = f.ldapBindDN, f.ldapBindPassword, f.ldapBaseDN, f.ldapGroupDN
		lc.ActiveDirectory, lc.Domain, lc.DisabledAttribute = f.ldapAD, f.ldapDomain, f.ldapDisabledAttr
		defMapping := directory.LDAPMapping()
		if f.ldapAD {
			defMapping = directory.ADMapping()
		}
		m, err := a.askMapping(p, f, defMapping)
		if err != nil {
			return err
		}
		lc.Mapping = m
		src, err := ldap.New(*lc) // checks the settings; connects on first use
		if err != nil {
			return fmt.Errorf("LDAP settings: %w", err)
		}
		// The source's name keys every synced user (with its external ID):
		// written out, it stays the same when the URL changes to another
		// name of the same server (localhost for 127.0.0.1, a failover DC).
		if lc.Name == "" {
			lc.Name = src.Name()
			fmt.Fprintf(a.stdout, "source name %q (setting source.ldap.name): keep it when the URL changes, or synced users are not recognised\n", lc.Name)
		}
		_ = src.Close()
		cfg.Source.LDAP = lc
		return nil
	case "graph":
		for _, q := range []struct{ flag, question string }{
			{"graph-tenant-id", "Azure AD tenant ID"},
			{"graph-client-id", "Application (client) ID"},
		} {
			val := map[string]*string{"graph-tenant-id": &f.graphTenant, "graph-client-id": &f.graphClientID}[q.flag]
			if err := p.text(q.flag, q.question, "", true, val); err != nil {
				return err
			}
		}
		if err := p.text("graph-client-secret", "Client secret", f.graphClientSecret, true, &f.graphClientSecret); err != nil {
			return err
		}
		if err := p.text("graph-group-id", "Only members of this security group ID (empty: every user)", "", false, &f.graphGroupID); err != nil {
			return err
		}
		m, err := a.askMapping(p, f, directory.GraphMapping())
		if err != nil {
			return err
		}
		gc := &graph.Config{TenantID: f.graphTenant, ClientID: f.graphClientID, ClientSecret: f.graphClientSecret, GroupID: f.graphGroupID, Mapping: m}
		if _, err := graph.New(*gc); err != nil {
			return fmt.Errorf("settings of the Azure AD source: %w", err)
		}
		cfg.Source.Graph = gc
		return nil
	}
	return fmt.Errorf("--source: unknown source %q", f.source)
}

// askMapping returns the mapping flags, and with --custom-mapping (or a
// yes on a terminal) asks for each attribute, offering def's.
func (a *app) askMapping(p *prompter, f *initFlags, def directory.Mapping) (directory.Mapping, error) {
	m := f.mapping
	if err := p.yesNo("custom-mapping", "Change the attribute mapping", false, &f.customMapping); err != nil {
		return m, err
	}
	if !f.customMapping {
		return m, nil
	}
	cur := m.Merge(def)
	for _, q := range []struct {
		flag, question string
		val            *string
		def            string
	}{
		{"map-full-name", "Attribute of the full name", &m.FullName, cur.FullName},
		{"map-username", "Attribute of the username", &m.Username, cur.Username},
		{"map-corporate-email", "Attribute of the corporate e-mail", &m.CorporateEmail, cur.CorporateEmail},
		{"map-personal-email", "Attribute of the personal e-mail", &m.PersonalEmail, cur.PersonalEmail},
		{"map-phone", "Attribute of the phone number", &m.PhoneNumber, cur.PhoneNumber},
		{"map-groups", "Attribute of the groups", &m.Groups, cur.Groups},
		{"map-roles", "Attribute of the roles", &m.Roles, cur.Roles},
	} {
		if err := p.text(q.flag, q.question, q.def, false, q.val); err != nil {
			return m, err
		}
	}
	return m, nil
}

// readMailConfig reads a mail configuration file and checks it by building
// a sender (which sends nothing).
func (a *app) readMailConfig(path string) (json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--mail: %w", err)
	}
	if _, err := a.newSender(data); err != nil {
		return nil, fmt.Errorf("--mail %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, fmt.Errorf("--mail %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// redacted returns a copy of c without its secrets, to show.
func redacted(c *Config) *Config {
	r := *c
	const hidden = "(hidden)"
	if r.Token != "" {
		r.Token = hidden
	}
	if r.Source.LDAP != nil && r.Source.LDAP.BindPassword != "" {
		l := *r.Source.LDAP
		l.BindPassword = hidden
		r.Source.LDAP = &l
	}
	if r.Source.Graph != nil && r.Source.Graph.ClientSecret != "" {
		g := *r.Source.Graph
		g.ClientSecret = hidden
		r.Source.Graph = &g
	}
	if len(r.Mail) > 0 {
		r.Mail = json.RawMessage(`"(hidden)"`)
	}
	r.Store = redactDSN(r.Store)
	return &r
}

// absPath makes a path given on the command line absolute, so that the
// configuration means the same from any directory.
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func absStore(spec string) string {
	if p, ok := sqlitePath(spec); ok && p != "" && p != ":memory:" {
		return "sqlite:" + absPath(p)
	}
	return spec
}

// checkServerURL checks the Usher server's base URL before anything is
// written: an absolute https URL with a host (http only to a loopback
// address, for tests), no query or fragment. Empty means no server.
func checkServerURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	switch {
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("%q is not an absolute http(s) URL such as https://usher.example.com", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("%q: give the base URL only, without user, query or fragment", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q: the access token would travel in clear text; use https (http only to a loopback address)", s)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
