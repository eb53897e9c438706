package callback

// Callback is one HTTP call an authentication profile makes when an event
// happens to a request. URL, header values and Body may hold {variables},
// expanded and escaped for where they go (see Template). Validate checks
// it; Prepare checks it and parses its templates for Client.Send.
type Callback struct {
	// ID names the callback within its profile, so that a delivery
	// recorded for it still finds it when other callbacks are added or
	// removed; the authrequest Manager assigns one when it is empty. Not
	// sent.
	ID string `json:"id,omitempty"`
	// Event is what fires it: "Create", "Approve", "Deny", "Response"
	// (Approve or Deny), "Error" or "Any" (every event but Error).
	Event string `json:"event"`
	// Method is the HTTP method; default POST.
	Method string `json:"method,omitempty"`
	// URL is absolute, http or https; variables in its path are
	// path-escaped and in its query and fragment query-escaped, and may
	// not stand in its scheme or host (see ParseURL).
	URL string `json:"url"`
	// Headers are sent as given, with variables expanded; a value that
	// would hold a line break or another control character after
	// expansion is refused. Usher's own headers (Host, Content-Type,
	// Content-Length, hop-by-hop, webhook-*) may not be set.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent as given, with variables JSON-escaped when ContentType
	// is JSON (the default, "application/json", or a "+json" type; see
	// ParseJSON), URL-encoded for "application/x-www-form-urlencoded",
	// and as they are for "text/plain". Other types are refused. An empty
	// Body sends no body and no Content-Type; a GET has none.
	Body        string `json:"body,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Auth is how the call authenticates to its receiver.
	Auth Auth `json:"auth"`
}

// AuthKind is how a callback authenticates.
type AuthKind string

// Kinds of Auth.
const (
	AuthNone   AuthKind = ""                   // nothing
	AuthHeader AuthKind = "header"             // a shared token in a header
	AuthOAuth2 AuthKind = "client_credentials" // OAuth 2.0 client credentials
)

// Auth configures a callback's authentication. Secrets (Value,
// ClientSecret) are stored as given, since they must be sent; callers
// that show a profile must not show them.
type Auth struct {
	Kind AuthKind `json:"kind,omitempty"`
	// Header and Value: the header sent for AuthHeader, e.g.
	// "Authorization" and "Bearer s3cr3t"; Value is sent as it is, not
	// expanded.
	Header string `json:"header,omitempty"`
	Value  string `json:"value,omitempty"`
	// TokenURL (https, or http to a loopback address), ClientID,
	// ClientSecret and Scopes for AuthOAuth2. The token is cached by the
	// Client until it expires.
	TokenURL     string   `json:"token_url,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}
