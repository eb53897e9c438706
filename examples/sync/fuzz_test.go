package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig feeds arbitrary files to loadConfig: it must return a
// configuration or an error, never panic, and a configuration it returns
// must have passed its checks.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		`{"orgId":"o","privateKey":"k.pem","store":"sqlite:u.db","source":{"type":"csv","csv":{"path":"u.csv"}}}`,
		`{"orgId":"o","privateKey":"/k","store":"postgres://u@h/db","source":{"type":"ldap","ldap":{"url":"ldap://h","baseDN":"dc=x"}},"sync":{"interval":"5m","maxDeactivateShare":0.5}}`,
		`{"orgId":"o","privateKey":"/k","store":"sqlite:/x","source":{"type":"graph","graph":{"tenantId":"t"}},"mail":{"MailType":"SMTP"}}`,
		`{"sync":{"fullEvery":"-1h"}}`,
		`{"source":{"type":"csv","csv":{"path":"u.csv","format":"excel"}}}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(p)
		if err != nil {
			return
		}
		if c.OrgID == "" || c.Store == "" || c.PrivateKey == "" || !filepath.IsAbs(c.PrivateKey) {
			t.Fatalf("loadConfig accepted %q as %+v", data, c)
		}
	})
}
