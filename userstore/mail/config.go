package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FromJSON builds a Sender from the mail configuration of ProAuth's
// UserStore, a JSON object whose MailType picks the sender. Field names are
// matched case-insensitively; unknown fields are ignored.
//
// SMTP ([SMTPConfig]):
//
//	{
//	  "MailType": "SMTP",
//	  "Host": "smtp.example.com",     // required
//	  "Port": 587,                    // number or numeric string; default from Security
//	  "Username": "mailer",           // optional: no login when empty
//	  "Password": "secret",
//	  "From": "Usher <noreply@example.com>", // required
//	  "EnableSsl": true,              // true: TLS on 465, STARTTLS elsewhere; false: plain text
//	  "Security": "starttls",         // or "tls", "none"; overrides EnableSsl (must agree with it)
//	  "Timeout": 30,                  // seconds, or a Go duration string such as "45s"
//	  "HelloName": "app.example.com", // optional
//	  "InsecureAllowPlainAuth": false // optional, dangerous
//	}
//
// Security also accepts MailKit's SecureSocketOptions names: "SslOnConnect"
// (tls), "StartTls" (starttls), "None" and "Auto" (the default: tls on port
// 465, else starttls). With neither EnableSsl nor Security the connection
// is encrypted: a missing EnableSsl is not read as false.
//
// Microsoft 365 ([M365Config]):
//
//	{
//	  "MailType": "M365",
//	  "TenantId": "contoso.onmicrosoft.com", // required
//	  "ClientId": "00000000-0000-0000-0000-000000000000", // required
//	  "ClientSecret": "secret",       // required
//	  "From": "noreply@contoso.com",  // required: the mailbox that sends
//	  "SaveToSentItems": false,       // optional
//	  "Timeout": 30,                  // optional, as above
//	  "GraphUrl": "...", "TokenUrl": "..." // optional, for national clouds and tests
//	}
//
// Every problem is reported at once; each wraps [ErrConfig]. Errors never
// contain the password or the client secret. opts supply dependencies.
func FromJSON(data []byte, opts ...Option) (Sender, error) {
	c, err := decodeConfig(data)
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(strings.TrimSpace(c.MailType)) {
	case "SMTP":
		cfg, err := c.smtp()
		if err != nil {
			return nil, err
		}
		return NewSMTP(cfg, opts...)
	case "M365":
		return NewM365(c.m365(), opts...)
	case "":
		return nil, fmt.Errorf("mail: config: missing required field %q (want \"SMTP\" or \"M365\"): %w", "MailType", ErrConfig)
	default:
		return nil, fmt.Errorf("mail: config: unknown MailType %q (want \"SMTP\" or \"M365\"): %w", c.MailType, ErrConfig)
	}
}

// jsonConfig is the union of both MailTypes' fields.
type jsonConfig struct {
	MailType string

	Host                   string
	Port                   jsonInt
	Username               string
	Password               string
	From                   string
	EnableSsl              *jsonBool
	Security               string
	Timeout                jsonDuration
	HelloName              string
	InsecureAllowPlainAuth jsonBool

	TenantID        string
	ClientID        string
	ClientSecret    string
	SaveToSentItems jsonBool
	GraphURL        string
	TokenURL        string
}

// decodeConfig reads the JSON object field by field, so that an error
// names the field, and reports every bad field at once.
func decodeConfig(data []byte) (jsonConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		msg := "null"
		if err != nil {
			msg = err.Error()
		}
		return jsonConfig{}, fmt.Errorf("mail: config must be a JSON object (%s): %w", msg, ErrConfig)
	}
	fields := make(map[string]json.RawMessage, len(raw))
	var errs []error
	for k, v := range raw {
		lk := strings.ToLower(k)
		if _, dup := fields[lk]; dup {
			errs = append(errs, fmt.Errorf("mail: config: field %q given twice: %w", k, ErrConfig))
		}
		fields[lk] = v
	}
	var c jsonConfig
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"MailType", &c.MailType},
		{"Host", &c.Host}, {"Port", &c.Port}, {"Username", &c.Username}, {"Password", &c.Password},
		{"From", &c.From}, {"EnableSsl", &c.EnableSsl}, {"Security", &c.Security}, {"Timeout", &c.Timeout},
		{"HelloName", &c.HelloName}, {"InsecureAllowPlainAuth", &c.InsecureAllowPlainAuth},
		{"TenantId", &c.TenantID}, {"ClientId", &c.ClientID}, {"ClientSecret", &c.ClientSecret},
		{"SaveToSentItems", &c.SaveToSentItems}, {"GraphUrl", &c.GraphURL}, {"TokenUrl", &c.TokenURL},
	} {
		v, ok := fields[strings.ToLower(f.name)]
		if !ok {
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			var te *json.UnmarshalTypeError
			msg := err.Error()
			if errors.As(err, &te) {
				msg = "want a " + te.Type.String() + ", got a " + te.Value
			}
			errs = append(errs, fmt.Errorf("mail: config: field %q: %s: %w", f.name, msg, ErrConfig))
		}
	}
	return c, errors.Join(errs...)
}

func (c jsonConfig) smtp() (SMTPConfig, error) {
	cfg := SMTPConfig{
		Host:                   strings.TrimSpace(c.Host),
		Port:                   int(c.Port),
		Username:               c.Username,
		Password:               c.Password,
		From:                   strings.TrimSpace(c.From),
		Timeout:                time.Duration(c.Timeout),
		HelloName:              strings.TrimSpace(c.HelloName),
		InsecureAllowPlainAuth: bool(c.InsecureAllowPlainAuth),
	}
	switch strings.ToLower(strings.TrimSpace(c.Security)) {
	case "", "auto":
	case "tls", "ssl", "sslonconnect", "implicit":
		cfg.Security = SecurityTLS
	case "starttls":
		cfg.Security = SecurityStartTLS
	case "none", "plain":
		cfg.Security = SecurityNone
	default:
		return SMTPConfig{}, fmt.Errorf("mail: smtp: unknown Security %q (want \"tls\", \"starttls\" or \"none\"): %w", c.Security, ErrConfig)
	}
	if c.EnableSsl != nil {
		ssl := bool(*c.EnableSsl)
		if cfg.Security == "" {
			if !ssl {
				cfg.Security = SecurityNone
			}
		} else if ssl == (cfg.Security == SecurityNone) {
			return SMTPConfig{}, fmt.Errorf("mail: smtp: EnableSsl %t contradicts Security %q: %w", ssl, c.Security, ErrConfig)
		}
	}
	return cfg, nil
}

func (c jsonConfig) m365() M365Config {
	return M365Config{
		TenantID:        strings.TrimSpace(c.TenantID),
		ClientID:        strings.TrimSpace(c.ClientID),
		ClientSecret:    c.ClientSecret,
		From:            strings.TrimSpace(c.From),
		SaveToSentItems: bool(c.SaveToSentItems),
		GraphURL:        strings.TrimSpace(c.GraphURL),
		TokenURL:        strings.TrimSpace(c.TokenURL),
		Timeout:         time.Duration(c.Timeout),
	}
}

// jsonInt reads a number or a numeric string ("587").
type jsonInt int

func (n *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want an integer")
	}
	*n = jsonInt(v)
	return nil
}

// jsonBool reads true/false or the strings "true"/"false".
type jsonBool bool

func (v *jsonBool) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	x, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v = jsonBool(x)
	return nil
}

// jsonDuration reads a number of seconds (30, 2.5) or a Go duration
// string ("45s", "1m").
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		v, err := time.ParseDuration(strings.TrimSpace(uq))
		if err != nil {
			return errors.New("want seconds or a duration such as \"30s\"")
		}
		*d = jsonDuration(v)
		return nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs < 0 || secs > float64(24*time.Hour/time.Second) {
		return errors.New("want seconds between 0 and 86400")
	}
	*d = jsonDuration(secs * float64(time.Second))
	return nil
}
