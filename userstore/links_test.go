package userstore_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

func TestChangePasswordLink(t *testing.T) {
	base := userstore.ChangePasswordLink{
		BaseURL: "https://idp.example.com/account/password", LoginName: "alice", Tenant: "acme", IdPInstance: "userstore-1",
	}
	with := func(f func(*userstore.ChangePasswordLink)) userstore.ChangePasswordLink {
		l := base
		f(&l)
		return l
	}
	tests := []struct {
		name    string
		link    userstore.ChangePasswordLink
		want    string
		wantErr []string
	}{
		{"required only", base, "https://idp.example.com/account/password?idp=userstore-1&login=alice&tenant=acme", nil},
		{"all fields", with(func(l *userstore.ChangePasswordLink) {
			l.ClientID, l.ReturnURL = "portal", "https://app.example.com/home?x=1&y=2"
		}), "https://idp.example.com/account/password?client_id=portal&idp=userstore-1&login=alice&return_url=https%3A%2F%2Fapp.example.com%2Fhome%3Fx%3D1%26y%3D2&tenant=acme", nil},
		{"escaping", with(func(l *userstore.ChangePasswordLink) {
			l.LoginName, l.Tenant = "jörg o'brien&co=1+2 #x", "a/b?c"
		}), "https://idp.example.com/account/password?idp=userstore-1&login=j%C3%B6rg+o%27brien%26co%3D1%2B2+%23x&tenant=a%2Fb%3Fc", nil},
		{"base query kept", with(func(l *userstore.ChangePasswordLink) {
			l.BaseURL = "https://idp.example.com/cp?lang=de"
		}), "https://idp.example.com/cp?idp=userstore-1&lang=de&login=alice&tenant=acme", nil},
		{"relative return path", with(func(l *userstore.ChangePasswordLink) { l.ReturnURL = "/app/start" }),
			"https://idp.example.com/account/password?idp=userstore-1&login=alice&return_url=%2Fapp%2Fstart&tenant=acme", nil},
		{"missing fields", userstore.ChangePasswordLink{BaseURL: "https://idp.example.com/"}, "",
			[]string{`"LoginName"`, `"Tenant"`, `"IdPInstance"`}},
		{"bad base", with(func(l *userstore.ChangePasswordLink) { l.BaseURL = "javascript:alert(1)" }), "", []string{"BaseURL"}},
		{"base with fragment", with(func(l *userstore.ChangePasswordLink) { l.BaseURL = "https://idp.example.com/#x" }), "", []string{"BaseURL"}},
		{"scheme-relative return", with(func(l *userstore.ChangePasswordLink) { l.ReturnURL = "//evil.example.com" }), "", []string{"ReturnURL"}},
		{"backslash return", with(func(l *userstore.ChangePasswordLink) { l.ReturnURL = `/\evil.example.com` }), "", []string{"ReturnURL"}},
		{"script return", with(func(l *userstore.ChangePasswordLink) { l.ReturnURL = "javascript:alert(1)" }), "", []string{"ReturnURL"}},
		{"return with line break", with(func(l *userstore.ChangePasswordLink) { l.ReturnURL = "/a\nb" }), "", []string{"ReturnURL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.link.Build()
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Empty(t, tt.link.String())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want, tt.link.String())
			// Escaped exactly once: parsing gives back the values.
			u, err := url.Parse(got)
			require.NoError(t, err)
			q := u.Query()
			assert.Equal(t, tt.link.LoginName, q.Get("login"))
			assert.Equal(t, tt.link.Tenant, q.Get("tenant"))
			assert.Equal(t, tt.link.IdPInstance, q.Get("idp"))
			assert.Equal(t, tt.link.ReturnURL, q.Get("return_url"))
		})
	}
}
