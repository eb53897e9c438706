package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	pwFile := write("pw", "s3cret-from-file\n")
	good := write("good.json", `{"addr": "127.0.0.1:9000", "session-ttl": "1h", "bootstrap-password-file": "`+pwFile+`"}`)
	unknown := write("unknown.json", `{"adress": "x"}`)
	dup := write("dup.json", `{"addr": "a", "addr": "b"}`)
	trailing := write("trailing.json", `{"addr": "a"} {}`)
	notString := write("number.json", `{"addr": 8080}`)

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, s settings)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:8080", s.Addr)
			assert.Equal(t, "sqlite:usher-data/usher.db", s.Database)
			assert.Equal(t, 12*time.Hour, s.SessionTTL)
			assert.Empty(t, s.BootstrapPassword)
		}},
		{name: "environment", env: map[string]string{"USHER_ADDR": "127.0.0.1:1", "USHER_BOOTSTRAP_PASSWORD_FILE": pwFile}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:1", s.Addr)
			assert.Equal(t, "s3cret-from-file", s.BootstrapPassword)
		}},
		{name: "flag beats environment", args: []string{"-addr", "127.0.0.1:2"}, env: map[string]string{"USHER_ADDR": "127.0.0.1:1"}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:2", s.Addr)
		}},
		{name: "config file", args: []string{"-config", good}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:9000", s.Addr)
			assert.Equal(t, time.Hour, s.SessionTTL)
			assert.Equal(t, "s3cret-from-file", s.BootstrapPassword)
		}},
		{name: "environment beats config file", args: []string{"-config", good}, env: map[string]string{"USHER_ADDR": "127.0.0.1:3"}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:3", s.Addr)
		}},
		{name: "config from environment", env: map[string]string{"USHER_CONFIG": good}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "127.0.0.1:9000", s.Addr)
		}},
		{name: "unknown key", args: []string{"-config", unknown}, wantErr: `unknown setting "adress"`},
		{name: "duplicate key", args: []string{"-config", dup}, wantErr: `"addr" given twice`},
		{name: "trailing data", args: []string{"-config", trailing}, wantErr: "data after the object"},
		{name: "not a string", args: []string{"-config", notString}, wantErr: `"addr": want a string`},
		{name: "missing config", args: []string{"-config", filepath.Join(dir, "none.json")}, wantErr: "no such file"},
		{name: "secret twice", args: []string{"-bootstrap-password", "a", "-bootstrap-password-file", pwFile}, wantErr: "give one"},
		{name: "empty secret file", args: []string{"-bootstrap-password-file", write("empty", "\n")}, wantErr: "is empty"},
		{name: "half TLS", args: []string{"-tls-cert", "c.pem"}, wantErr: "tls-cert and tls-key go together"},
		{name: "every problem at once", args: []string{"-session-ttl", "soon", "-log-level", "loud"}, wantErr: "session-ttl (from -session-ttl)"},
		{name: "onboarding", args: []string{"-ca-dir", "/srv/ca", "-sms-config", "sms.json", "-sms-region", "44"}, env: map[string]string{"USHER_SMS_KEY_FILE": pwFile}, check: func(t *testing.T, s settings) {
			assert.Equal(t, "/srv/ca", s.CADir)
			assert.Equal(t, "sms.json", s.SMSConfig)
			assert.Equal(t, "44", s.SMSRegion)
			assert.Equal(t, "s3cret-from-file", s.SMSKey)
		}},
		{name: "bad SMS region", args: []string{"-sms-region", "+44"}, wantErr: "sms-region (from -sms-region)"},
		{name: "callbacks", env: map[string]string{"USHER_CALLBACK_WORKERS": "32", "USHER_CALLBACK_TIMEOUT": "3s"}, check: func(t *testing.T, s settings) {
			assert.Equal(t, 32, s.CallbackWorkers)
			assert.Equal(t, 3*time.Second, s.CallbackTimeout)
		}},
		{name: "callback defaults", check: func(t *testing.T, s settings) {
			assert.Equal(t, 8, s.CallbackWorkers)
			assert.Equal(t, 10*time.Second, s.CallbackTimeout)
		}},
		{name: "no callback workers", args: []string{"-callback-workers", "0"}, wantErr: "callback-workers (from -callback-workers)"},
		{name: "callback timeout too long", args: []string{"-callback-timeout", "2m"}, wantErr: "callback-timeout (from -callback-timeout)"},
		{name: "unknown flag", args: []string{"-prot", "1"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(tt.args, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestSettingsErrorsNameEverySetting(t *testing.T) {
	t.Parallel()
	_, err := loadSettings([]string{"-session-ttl", "soon", "-log-level", "loud"}, func(string) string { return "" }, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "session-ttl")
	assert.Contains(t, err.Error(), "log-level")
}

func TestHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	_, err := loadSettings([]string{"-help"}, func(string) string { return "" }, &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, st := range settingsTable() {
		assert.Contains(t, out.String(), "-"+st.name+" ", st.name)
		assert.Contains(t, out.String(), envName(st.name), st.name)
		if st.def != "" {
			assert.Contains(t, out.String(), `"`+st.def+`"`, st.name)
		}
		if st.secret {
			assert.Contains(t, out.String(), envName(st.name)+"_FILE", st.name)
		}
	}
}
