package mail_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore/mail"
)

func TestFromJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    string   // "smtp" or "m365" when valid
		wantErr []string // each must appear in the error
	}{
		{"smtp seed", `{"MailType":"SMTP","Host":"smtp.example.com","Port":587,"Username":"u","Password":"p","From":"noreply@example.com","EnableSsl":true,"Timeout":30}`, "smtp", nil},
		{"smtp lower-case keys and string port", `{"mailType":"smtp","host":"smtp.example.com","port":"465","from":"a@example.com"}`, "smtp", nil},
		{"smtp security names", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Security":"SslOnConnect","Timeout":"45s"}`, "smtp", nil},
		{"smtp plain", `{"MailType":"SMTP","Host":"relay","Port":25,"From":"a@b.c","EnableSsl":false}`, "smtp", nil},
		{"m365 seed", `{"MailType":"M365","TenantId":"contoso.onmicrosoft.com","ClientId":"id","ClientSecret":"s","From":"noreply@contoso.com"}`, "m365", nil},
		{"unknown fields ignored", `{"MailType":"M365","TenantId":"t","ClientId":"id","ClientSecret":"s","From":"a@b.c","DisplayName":"x"}`, "m365", nil},

		{"not JSON", `MailType=SMTP`, "", []string{"JSON object"}},
		{"array", `[1,2]`, "", []string{"JSON object"}},
		{"null", `null`, "", []string{"JSON object"}},
		{"trailing data", `{"MailType":"SMTP"} {}`, "", []string{"JSON object"}},
		{"missing MailType", `{"Host":"h"}`, "", []string{`"MailType"`}},
		{"unknown MailType", `{"MailType":"Sendgrid"}`, "", []string{`unknown MailType "Sendgrid"`}},
		{"smtp missing fields", `{"MailType":"SMTP"}`, "", []string{`"Host"`, `"From"`}},
		{"m365 missing fields", `{"MailType":"M365","ClientSecret":"topsecret"}`, "", []string{`"TenantId"`, `"ClientId"`, `"From"`}},
		{"bad port", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Port":"smtp"}`, "", []string{`"Port"`}},
		{"port out of range", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Port":99999}`, "", []string{"Port 99999"}},
		{"bad EnableSsl", `{"MailType":"SMTP","Host":"h","From":"a@b.c","EnableSsl":"yes please"}`, "", []string{`"EnableSsl"`}},
		{"bad timeout", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Timeout":"soon"}`, "", []string{`"Timeout"`}},
		{"negative timeout", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Timeout":-1}`, "", []string{`"Timeout"`}},
		{"number as host", `{"MailType":"SMTP","Host":42,"From":"a@b.c"}`, "", []string{`"Host"`, "want a string"}},
		{"bad security", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Security":"StartTlsWhenAvailable"}`, "", []string{"unknown Security"}},
		{"contradiction", `{"MailType":"SMTP","Host":"h","From":"a@b.c","Security":"tls","EnableSsl":false}`, "", []string{"contradicts"}},
		{"same field twice", `{"MailType":"SMTP","Host":"h","host":"i","From":"a@b.c"}`, "", []string{"given twice"}},
		{"bad from", `{"MailType":"SMTP","Host":"h","From":"not an address"}`, "", []string{"From"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := mail.FromJSON([]byte(tt.json))
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, mail.ErrConfig)
				assert.Nil(t, s)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.NotContains(t, err.Error(), "topsecret", "secrets never appear in errors")
				return
			}
			require.NoError(t, err)
			switch tt.want {
			case "smtp":
				assert.IsType(t, &mail.SMTP{}, s)
			case "m365":
				assert.IsType(t, &mail.M365{}, s)
			}
		})
	}
}

// The JSON fields land in the SMTP sender's configuration with the
// documented defaults.
func TestFromJSONSMTPConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want mail.SMTPConfig
	}{
		{`{"MailType":"SMTP","Host":"h","From":"a@b.c"}`,
			mail.SMTPConfig{Host: "h", Port: 587, Security: mail.SecurityStartTLS, From: "a@b.c"}},
		{`{"MailType":"SMTP","Host":"h","From":"a@b.c","Port":465,"EnableSsl":true}`,
			mail.SMTPConfig{Host: "h", Port: 465, Security: mail.SecurityTLS, From: "a@b.c"}},
		{`{"MailType":"SMTP","Host":"h","From":"a@b.c","EnableSsl":false}`,
			mail.SMTPConfig{Host: "h", Port: 25, Security: mail.SecurityNone, From: "a@b.c"}},
		{`{"MailType":"SMTP","Host":"h","From":"a@b.c","Security":"StartTls","Port":2525,"Timeout":2.5,"Username":"u","Password":"p"}`,
			mail.SMTPConfig{Host: "h", Port: 2525, Security: mail.SecurityStartTLS, From: "a@b.c", Timeout: 2500 * time.Millisecond, Username: "u", Password: "p"}},
	}
	for _, tt := range tests {
		s, err := mail.FromJSON([]byte(tt.json))
		require.NoError(t, err, tt.json)
		got := s.(*mail.SMTP).Config()
		want := tt.want
		if want.Timeout == 0 {
			want.Timeout = 30 * time.Second
		}
		want.HelloName = "localhost"
		assert.Equal(t, want, got, tt.json)
	}
}
