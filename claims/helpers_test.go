package claims_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/internal/oidctest"
)

// redirectURL is where the provider sends the user back; drive stops there.
const redirectURL = "http://rp.test/oidc/callback"

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// provider starts a provider with one user, alice, who signs in.
func provider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p := oidctest.New(t)
	p.SetRedirectURIs(redirectURL)
	p.PutUser(oidctest.User{
		Subject:  "alice-sub",
		IDClaims: map[string]any{"groups": []string{"staff", "admins"}},
		Profile: map[string]any{
			"given_name": "Alice", "family_name": "Liddell", "name": "Alice Liddell",
			"email": "alice@example.com", "email_verified": true, "preferred_username": "alice",
		},
	})
	p.SignInAs("alice-sub")
	return p
}

// config is a client configuration for p.
func config(p *oidctest.Provider) claims.Config {
	return claims.Config{
		Issuer: p.URL(), ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: redirectURL, Scopes: []string{"openid", "profile", "email"},
	}
}

func newClient(t *testing.T, p *oidctest.Provider, cfg claims.Config, opts ...claims.Option) *claims.Client {
	t.Helper()
	c, err := claims.New(cfg, append([]claims.Option{claims.WithHTTPClient(p.Client())}, opts...)...)
	require.NoError(t, err)
	return c
}

var inputRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

// drive plays the browser: it follows the provider's redirects from
// authURL until they reach redirectURL (or a form_post page) and returns
// the callback parameters.
func drive(t *testing.T, p *oidctest.Provider, authURL string) claims.Callback {
	t.Helper()
	hc := &http.Client{
		Transport: p.Client().Transport,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirectURL) {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := hc.Get(authURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		q := loc.Query()
		return claims.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	}
	require.Equal(t, http.StatusOK, resp.StatusCode, "provider answer")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	cb := claims.Callback{}
	for _, m := range inputRE.FindAllStringSubmatch(string(body), -1) {
		v := html.UnescapeString(m[2])
		switch m[1] {
		case "state":
			cb.State = v
		case "id_token":
			cb.IDToken = v
		case "code":
			cb.Code = v
		}
	}
	require.NotEmpty(t, cb.State, "form_post page: %s", body)
	return cb
}

// signIn runs one whole sign-in through Complete.
func signIn(t *testing.T, c *claims.Client, p *oidctest.Provider) (claims.Identity, error) {
	t.Helper()
	ctx := ctxT(t)
	u, err := c.AuthURL(ctx, "/after")
	require.NoError(t, err)
	id, _, err := c.Complete(ctx, drive(t, p, u))
	return id, err
}
