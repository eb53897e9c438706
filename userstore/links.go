package userstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Query parameters of the change-password link (see ChangePasswordLink).
const (
	linkParamLogin     = "login"
	linkParamTenant    = "tenant"
	linkParamIdP       = "idp"
	linkParamClientID  = "client_id"
	linkParamReturnURL = "return_url"
)

// ChangePasswordLink builds the link to the page where a user changes
// their password, for example to show after ErrPasswordChangeRequired or
// to put in a mail. The zero value is not usable: BaseURL, LoginName,
// Tenant and IdPInstance are required.
//
// The link is BaseURL with the query parameters login, tenant, idp and,
// when set, client_id and return_url added to any BaseURL already has.
// Every value is query-escaped exactly once.
type ChangePasswordLink struct {
	// BaseURL is the change-password page, an absolute http or https URL.
	BaseURL string `json:"baseURL"`
	// LoginName is the user's login, shown pre-filled on the page.
	LoginName string `json:"loginName"`
	// Tenant and IdPInstance name where the user logs in.
	Tenant      string `json:"tenant"`
	IdPInstance string `json:"idpInstance"`
	// ClientID is the application the user came from. Optional.
	ClientID string `json:"clientID,omitempty"`
	// ReturnURL is where the page sends the user afterwards: an absolute
	// http or https URL, or a path on the same site ("/app"). Optional.
	ReturnURL string `json:"returnURL,omitempty"`
}

// String returns the link, or "" when Build would fail.
func (l ChangePasswordLink) String() string {
	s, _ := l.Build()
	return s
}

// Build returns the link, or an error naming every missing or bad field.
func (l ChangePasswordLink) Build() (string, error) {
	var errs []error
	if err := checkLinkBase("ChangePasswordLink.BaseURL", l.BaseURL); err != nil {
		errs = append(errs, err)
	}
	for _, f := range [...]struct{ name, value string }{
		{"LoginName", l.LoginName}, {"Tenant", l.Tenant}, {"IdPInstance", l.IdPInstance},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("userstore: ChangePasswordLink: missing required field %q", f.name))
		}
	}
	if l.ReturnURL != "" && !safeReturnURL(l.ReturnURL) {
		errs = append(errs, fmt.Errorf("userstore: ChangePasswordLink: ReturnURL %q is neither an absolute http(s) URL nor a path", l.ReturnURL))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	u, _ := url.Parse(l.BaseURL) // checked above
	q := u.Query()
	q.Set(linkParamLogin, l.LoginName)
	q.Set(linkParamTenant, l.Tenant)
	q.Set(linkParamIdP, l.IdPInstance)
	if l.ClientID != "" {
		q.Set(linkParamClientID, l.ClientID)
	}
	if l.ReturnURL != "" {
		q.Set(linkParamReturnURL, l.ReturnURL)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// checkLinkBase checks that s is an absolute http or https URL without a
// fragment.
func checkLinkBase(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("userstore: %s %q: want an absolute http or https URL without user or fragment", field, s)
	}
	return nil
}

// safeReturnURL accepts an absolute http(s) URL or a path on the same site.
// A scheme-relative "//host" or "/\host" (which browsers read as another
// host) is refused.
func safeReturnURL(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, `/\`)
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
