package activation

import (
	"encoding/xml"
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePortalGuardForm(t *testing.T) {
	t.Parallel()
	base := "Auth=15&BatchAdminUsername=batch&BatchAdminPassword=pw&_PG_Login_Field_Username_=Username&Username=jdoe"
	tests := []struct {
		name    string
		body    string
		want    pgRequest
		wantErr string
	}{
		{
			name: "create with extra data",
			body: base + "&ActivationOTP=create&BirthDate=1990-01-31&EmployeeID=42",
			want: pgRequest{AdminUser: "batch", AdminPassword: "pw", Username: "jdoe", Action: "create",
				Extra: map[string]string{"BirthDate": "1990-01-31", "EmployeeID": "42"}},
		},
		{
			name: "delete, action in any case",
			body: base + "&ActivationOTP=Delete",
			want: pgRequest{AdminUser: "batch", AdminPassword: "pw", Username: "jdoe", Action: "delete"},
		},
		{
			name: "extra names case-sensitive and opaque",
			body: base + "&ActivationOTP=create&Field1=a&field1=b&auth=x&USERNAME=y",
			want: pgRequest{AdminUser: "batch", AdminPassword: "pw", Username: "jdoe", Action: "create",
				Extra: map[string]string{"Field1": "a", "field1": "b", "auth": "x", "USERNAME": "y"}},
		},
		{name: "wrong Auth", body: "Auth=1&ActivationOTP=create", wantErr: "Auth"},
		{name: "no username field", body: "Auth=15&ActivationOTP=create", wantErr: "_PG_Login_Field_Username_"},
		{
			name:    "username field named otherwise",
			body:    "Auth=15&BatchAdminUsername=b&BatchAdminPassword=p&_PG_Login_Field_Username_=Login&Login=ann&ActivationOTP=create",
			wantErr: "_PG_Login_Field_Username_ must be Username",
		},
		{
			name:    "username field pointing at the batch admin",
			body:    "Auth=15&BatchAdminUsername=importer&BatchAdminPassword=p&_PG_Login_Field_Username_=BatchAdminUsername&ActivationOTP=create",
			wantErr: "_PG_Login_Field_Username_ must be Username",
		},
		{
			name:    "username field in another case",
			body:    "Auth=15&_PG_Login_Field_Username_=username&username=jdoe&ActivationOTP=create",
			wantErr: "_PG_Login_Field_Username_ must be Username",
		},
		{name: "empty username", body: "Auth=15&_PG_Login_Field_Username_=Username&Username=&ActivationOTP=create", wantErr: "Username"},
		{name: "unknown action", body: base + "&ActivationOTP=renew", wantErr: "ActivationOTP"},
		{name: "extra field twice", body: base + "&ActivationOTP=create&x=1&x=2", wantErr: `"x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, err := url.ParseQuery(tt.body)
			require.NoError(t, err)
			got, err := parsePortalGuardForm(form)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrInvalidInput))
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestPortalGuardReplyBytes: the replies are byte for byte the article's,
// XML declaration first.
func TestPortalGuardReplyBytes(t *testing.T) {
	t.Parallel()
	assert.Equal(t,
		`<?xml version="1.0" encoding="UTF-8"?><pg_return component="PG.dll"><maj_error>16</maj_error><min_errors count="0"/><otp>ABCD-EFGH</otp></pg_return>`,
		string(pgReply{MajError: majorSuccess, OTP: "ABCD-EFGH"}.encode()))
	assert.Equal(t,
		`<?xml version="1.0" encoding="UTF-8"?><pg_return component="PG.dll"><maj_error>16</maj_error><min_errors count="0"/></pg_return>`,
		string(pgReply{MajError: majorSuccess}.encode()))
	assert.Equal(t,
		`<?xml version="1.0" encoding="UTF-8"?><pg_return component="PG.dll"><maj_error>17</maj_error><min_errors count="1"><min_error>1300</min_error></min_errors></pg_return>`,
		string(pgFail(minorUserNotFound).encode()))
	for _, r := range []pgReply{{MajError: majorSuccess, OTP: "A<B"}, pgFail(minorBadAdmin)} {
		var v struct {
			XMLName xml.Name `xml:"pg_return"`
			Maj     int      `xml:"maj_error"`
		}
		require.NoError(t, xml.Unmarshal(r.encode(), &v), "a reply is well-formed XML")
		assert.Equal(t, r.MajError, v.Maj)
	}
}

func FuzzParsePortalGuardForm(f *testing.F) {
	f.Add("Auth=15&BatchAdminUsername=batch&BatchAdminPassword=pw&_PG_Login_Field_Username_=Username&Username=jdoe&ActivationOTP=create&x=1")
	f.Add("Auth=15&_PG_Login_Field_Username_=Auth&ActivationOTP=delete")
	f.Add("Auth=15&_PG_Login_Field_Username_=ActivationOTP&ActivationOTP=create")
	f.Add("Auth=15&_PG_Login_Field_Username_=BatchAdminUsername&BatchAdminUsername=importer&ActivationOTP=create")
	f.Add("Auth=15&_PG_Login_Field_Username_=Username&Username=jdoe&ActivationOTP=create&Field1=a&field1=b")
	f.Add("%zz&Auth=15")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		req, err := parsePortalGuardForm(form)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error %v does not match ErrInvalidInput", err)
			}
			return
		}
		if req.Username == "" || (req.Action != "create" && req.Action != "delete") {
			t.Fatalf("accepted a request without username or action: %+v", req)
		}
		if form.Get(pgFieldUsernameField) != pgUsernameField {
			t.Fatalf("accepted %s=%q", pgFieldUsernameField, form.Get(pgFieldUsernameField))
		}
		for name, value := range req.Extra {
			switch name {
			case pgFieldAuth, pgFieldAdminUser, pgFieldAdminPassword, pgFieldUsernameField, pgFieldAction, pgUsernameField:
				t.Fatalf("control field %q taken as extra data", name)
			}
			if form[name][0] != value {
				t.Fatalf("extra field %q: %q stored as %q", name, form[name][0], value)
			}
		}
	})
}
