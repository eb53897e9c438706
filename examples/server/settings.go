package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// settings are the server's configuration. Each comes, highest first, from
// its flag, its environment variable, the config file, or its default;
// a secret may instead be read from a file (flag -NAME-file, variable
// USHER_NAME_FILE, config key "NAME-file"), so that it stays out of the
// process list and the environment.
type settings struct {
	Addr              string
	Database          string
	TLSCert           string
	TLSKey            string
	BootstrapPassword string
	SessionTTL        time.Duration
	LogLevel          string
	// ActivationKey keys the hashes of activation codes; empty: the key
	// file in the data folder, made on first start.
	ActivationKey string
	// BatchAdmins may create and delete activation codes through the
	// PortalGuard endpoint, with their admin-page passwords.
	BatchAdmins []string
	// MailConfig is the mail JSON file (userstore/mail.FromJSON); BaseURL
	// the address users reach the server at, for links in mails.
	MailConfig string
	BaseURL    string
	// OIDCConfig is a claims.Config JSON file for the admin sign-in at an
	// OpenID Provider; OIDCAdminRole the role a user needs for it.
	OIDCConfig    string
	OIDCAdminRole string
	// AuditLogins records the users' successful logins too (failures
	// always are).
	AuditLogins bool
	// Syslog is where audit events also go: udp://, tcp:// or tls://host:port
	// (forwarded from the audit trail: syslog.go).
	Syslog           string
	SyslogCA         string
	SyslogServerName string
	// CADir holds the device CA's key (0600) and certificate; empty: the
	// folder "ca" beside a SQLite database, else usher-data/ca.
	CADir string
	// SMSConfig is a sms.WebhookConfig JSON file; without it the SMS
	// requirement is not offered. SMSKey keys the hashes of SMS codes
	// (empty: usher-data/sms.key, made on first start); SMSRegion is the
	// calling code of numbers typed without one.
	SMSConfig string
	SMSKey    string
	SMSRegion string
	// DeviceStarts is how many onboardings one client address may start
	// in 15 minutes; 0: no limit.
	DeviceStarts int
	// CallbackWorkers is how many callback deliveries this process makes
	// at once; CallbackTimeout bounds one call.
	CallbackWorkers int
	CallbackTimeout time.Duration
}

// setting describes one entry of the settings table: the one place that
// lists every setting, its default and its help, for flags, environment,
// config file and -help alike.
type setting struct {
	name   string // flag name and config-file key
	def    string
	help   string
	secret bool // may come from a file; never printed
	set    func(s *settings, v string) error
}

// envName is the environment variable of a setting: USHER_ then the name
// in upper case with - as _.
func envName(name string) string {
	return "USHER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func str(dst func(*settings) *string) func(*settings, string) error {
	return func(s *settings, v string) error { *dst(s) = v; return nil }
}

// settingsTable lists every setting.
func settingsTable() []setting {
	return []setting{
		{name: "addr", def: "127.0.0.1:8080", help: "address to listen on; keep it on loopback unless TLS is on or a proxy is in front",
			set: str(func(s *settings) *string { return &s.Addr })},
		{name: "database", def: "sqlite:usher-data/usher.db", secret: true,
			help: `database: "sqlite:PATH" (created when missing) or "postgres://user:pass@host/db"`,
			set:  str(func(s *settings) *string { return &s.Database })},
		{name: "tls-cert", help: "PEM certificate chain file; with -tls-key the server speaks HTTPS only",
			set: str(func(s *settings) *string { return &s.TLSCert })},
		{name: "tls-key", help: "PEM private key file of -tls-cert",
			set: str(func(s *settings) *string { return &s.TLSKey })},
		{name: "bootstrap-password", secret: true,
			help: "password of the first admin account, created on first start (default: a random one, printed once)",
			set:  str(func(s *settings) *string { return &s.BootstrapPassword })},
		{name: "session-ttl", def: "12h", help: "how long an admin sign-in lasts",
			set: func(s *settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Minute {
					return fmt.Errorf("want a duration of at least 1m, like 12h")
				}
				s.SessionTTL = d
				return nil
			}},
		{name: "activation-key", secret: true,
			help: "at least 32 bytes that key the hashes of activation codes; every process sharing a database needs the same (default: usher-data/activation.key, made on first start)",
			set:  str(func(s *settings) *string { return &s.ActivationKey })},
		{name: "batch-admins", help: "comma-separated admin accounts that may create and delete activation codes through the PortalGuard endpoint",
			set: func(s *settings, v string) error {
				s.BatchAdmins = nil
				for _, name := range strings.Split(v, ",") {
					if name = strings.TrimSpace(name); name != "" {
						s.BatchAdmins = append(s.BatchAdmins, name)
					}
				}
				return nil
			}},
		{name: "mail-config", help: `JSON file of the mail sender for password-reset mails (userstore/mail.FromJSON: {"MailType": "SMTP", "Host": …, "From": …} or "M365"); keep it 0600 when it holds a password`,
			set: str(func(s *settings) *string { return &s.MailConfig })},
		{name: "base-url", help: "the server's address as users reach it, for the links in mails (default: http(s)://ADDR)",
			set: func(s *settings, v string) error {
				if v == "" {
					return nil
				}
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
					return fmt.Errorf("want an http(s) URL without a path, like https://usher.example.com")
				}
				s.BaseURL = strings.TrimSuffix(v, "/")
				return nil
			}},
		{name: "oidc-config", help: `JSON file of the admin sign-in at an OpenID Provider (claims.Config: {"issuer", "clientId", "clientSecret", "mapping": {"groupRoles": {"Usher admins": ["usher-admin"]}}}; redirectUrl defaults to BASE-URL/admin/oidc/callback); keep it 0600`,
			set: str(func(s *settings) *string { return &s.OIDCConfig })},
		{name: "oidc-admin-role", def: "usher-admin", help: "the role (from the OIDC mapping's groupRoles or defaultRoles) that lets a signed-in user administer the server",
			set: str(func(s *settings) *string { return &s.OIDCAdminRole })},
		{name: "audit-successful-logins", def: "false", help: "record the users' successful logins in the audit trail too (failed ones always are)",
			set: func(s *settings, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("want true or false")
				}
				s.AuditLogins = b
				return nil
			}},
		{name: "syslog", help: "also send every audit event to this syslog receiver as RFC 5424: udp://host:514, tcp://host:601 or tls://host:6514; events are forwarded from the audit trail in the database, in order, by one of the server processes sharing it, and wait there while the receiver is away (also across restarts)",
			set: str(func(s *settings) *string { return &s.Syslog })},
		{name: "syslog-ca", help: "PEM file of the CA certificates that may sign a tls:// syslog receiver's certificate (default: the system's)",
			set: str(func(s *settings) *string { return &s.SyslogCA })},
		{name: "syslog-server-name", help: "the name a tls:// syslog receiver's certificate must hold (default: the host of -syslog)",
			set: str(func(s *settings) *string { return &s.SyslogServerName })},
		{name: "ca-dir", help: "folder of the device CA's key (0600) and certificate, made on first start; every process sharing a database needs the same files (default: \"ca\" beside a SQLite database, else usher-data/ca)",
			set: str(func(s *settings) *string { return &s.CADir })},
		{name: "sms-config", help: `JSON file of the SMS gateway for the onboarding requirement "sms" (onboarding/sms.WebhookConfig: {"URL": "https://gw.example/send?to={{.To}}&text={{.Text}}", "Headers": {…}}); keep it 0600 when it holds a key`,
			set: str(func(s *settings) *string { return &s.SMSConfig })},
		{name: "sms-key", secret: true,
			help: "at least 32 bytes that key the hashes of SMS codes; every process sharing a database needs the same (default: usher-data/sms.key, made on first start)",
			set:  str(func(s *settings) *string { return &s.SMSKey })},
		{name: "sms-region", help: "country calling code of phone numbers typed without one, e.g. 44 (default: only international numbers)",
			set: func(s *settings, v string) error {
				if strings.Trim(v, "0123456789") != "" || len(v) > 3 {
					return fmt.Errorf("want a calling code of 1 to 3 digits, like 44")
				}
				s.SMSRegion = v
				return nil
			}},
		{name: "device-start-limit", def: "100", help: "how many onboardings one client address (an IPv4 address, an IPv6 /64) may start in 15 minutes; 0 for no limit (behind a proxy every device has the proxy's address: raise it)",
			set: func(s *settings, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return fmt.Errorf("want a number, 0 or more")
				}
				s.DeviceStarts = n
				return nil
			}},
		{name: "callback-workers", def: "8", help: "how many callbacks of authentication profiles this process delivers at once (1 to 256)",
			set: func(s *settings, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 256 {
					return fmt.Errorf("want a number from 1 to 256")
				}
				s.CallbackWorkers = n
				return nil
			}},
		{name: "callback-timeout", def: "10s", help: "how long one callback call may take before it is tried again later (1s to 1m)",
			set: func(s *settings, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Second || d > time.Minute {
					return fmt.Errorf("want a duration from 1s to 1m")
				}
				s.CallbackTimeout = d
				return nil
			}},
		{name: "log-level", def: "info", help: "debug, info, warn or error",
			set: func(s *settings, v string) error {
				switch v {
				case "debug", "info", "warn", "error":
					s.LogLevel = v
					return nil
				}
				return fmt.Errorf("want debug, info, warn or error")
			}},
	}
}

// maxConfigBytes caps the config file and each secret file.
const maxConfigBytes = 1 << 20

// loadSettings reads args (without the program name), the environment
// (getenv) and the config file that -config or USHER_CONFIG names. Every
// problem is reported at once. With -help it returns flag.ErrHelp after
// writing the table to out.
func loadSettings(args []string, getenv func(string) string, out io.Writer) (settings, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagVals := map[string]*string{}
	config := fs.String("config", "", "")
	for _, st := range settingsTable() {
		flagVals[st.name] = fs.String(st.name, "", "")
		if st.secret {
			flagVals[st.name+"-file"] = fs.String(st.name+"-file", "", "")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(out)
			return settings{}, err
		}
		return settings{}, fmt.Errorf("%w (see -help)", err)
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	path := *config
	if !given["config"] {
		path = getenv("USHER_CONFIG")
	}
	file, err := readConfigFile(path)
	if err != nil {
		return settings{}, err
	}

	var s settings
	var errs []error
	for _, st := range settingsTable() {
		v, from, err := lookupSetting(st, given, flagVals, getenv, file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := st.set(&s, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (from %s): %w", st.name, from, err))
		}
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key go together: set both or neither"))
	}
	return s, errors.Join(errs...)
}

// lookupSetting finds a setting's value and says where it came from.
func lookupSetting(st setting, given map[string]bool, flagVals map[string]*string, getenv func(string) string, file map[string]string) (value, from string, err error) {
	fileKey := st.name + "-file"
	switch {
	case given[st.name] && st.secret && given[fileKey]:
		return "", "", fmt.Errorf("-%s and -%s: give one", st.name, fileKey)
	case given[st.name]:
		return *flagVals[st.name], "-" + st.name, nil
	case st.secret && given[fileKey]:
		v, err := readSecret(*flagVals[fileKey])
		return v, "-" + fileKey, wrapSetting(fileKey, err)
	}
	env := envName(st.name)
	if v := getenv(env); v != "" {
		return v, env, nil
	}
	if st.secret {
		if p := getenv(env + "_FILE"); p != "" {
			v, err := readSecret(p)
			return v, env + "_FILE", wrapSetting(env+"_FILE", err)
		}
	}
	if v, ok := file[st.name]; ok {
		return v, "config file", nil
	}
	if st.secret {
		if p, ok := file[fileKey]; ok {
			v, err := readSecret(p)
			return v, "config file", wrapSetting(fileKey, err)
		}
	}
	return st.def, "default", nil
}

func wrapSetting(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}

// readSecret reads a secret file, without its trailing newline.
func readSecret(path string) (string, error) {
	b, err := readBounded(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigBytes)
	}
	return b, nil
}

// readConfigFile reads a JSON object of setting names to string values.
// Unknown names, duplicate names and trailing data are refused.
func readConfigFile(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	known := map[string]bool{}
	for _, st := range settingsTable() {
		known[st.name] = true
		if st.secret {
			known[st.name+"-file"] = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("config file %s: want a JSON object of setting names to strings", path)
	}
	m := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		key := t.(string) // object keys are strings
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("config file %s: %q: want a string: %w", path, key, err)
		}
		if !known[key] {
			return nil, fmt.Errorf("config file %s: unknown setting %q (see -help)", path, key)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("config file %s: %q given twice", path, key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("config file %s: data after the object", path)
	}
	return m, nil
}

// writeHelp prints the settings table.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `Usher reference server.

Usage: go run ./examples/server [flags]

Each setting comes from its flag, else its environment variable, else the
config file (-config FILE or USHER_CONFIG: a JSON object of setting names to
strings, e.g. {"addr": "127.0.0.1:9000"}), else its default. A secret can
instead be read from a file: -NAME-file, USHER_NAME_FILE or "NAME-file".

`)
	rows := settingsTable()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	for _, st := range rows {
		fmt.Fprintf(w, "  -%s  (%s", st.name, envName(st.name))
		if st.secret {
			fmt.Fprintf(w, ", or -%s-file / %s_FILE", st.name, envName(st.name))
		}
		fmt.Fprint(w, ")\n")
		fmt.Fprintf(w, "\t%s", st.help)
		if st.def != "" {
			fmt.Fprintf(w, " (default %q)", st.def)
		}
		fmt.Fprint(w, "\n")
	}
	fmt.Fprint(w, "  -config  (USHER_CONFIG)\n\tJSON config file\n")
}
