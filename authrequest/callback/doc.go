// Package callback makes the HTTP calls of an authentication profile's
// callbacks, one attempt at a time, for package authrequest's delivery
// worker, which decides when to call and when to try again.
//
// # Callbacks
//
// A Callback names the event it fires for, an HTTP method, a URL, headers
// and a body, each a template of {variables}: Notakey's (see Variables)
// and the custom variables of the profile and the request. Prepare (or
// Callback.Validate) checks a callback and parses its templates once; a
// Prepared callback is sent any number of times with Client.Send, or
// Client.Do prepares and sends in one step.
//
// # Templates and escaping
//
// {name} is a variable, "{{" a literal "{", and any other brace literal
// (JSON bodies need no escaping). A variable without a value expands to
// "". Values are escaped for where they go, once, when the template is
// expanded: in a URL's path as a path segment, in its query and fragment
// as a query value, so that no value changes the host or adds a path
// segment or a query parameter (variables may not stand in the scheme or
// host); in a JSON body as the inside of a JSON string (or as a whole
// string, quotes included, when the template puts the variable outside
// a string), so that a JSON template expands to JSON; in a form body
// URL-encoded; in a header as they are, but an expansion holding CR, LF,
// NUL or another control character is refused. Parse and Expand insert
// values as they are, for the plain text of a request's action and
// description. Templates are at most MaxTemplate bytes, values
// MaxValue, expansions MaxExpanded.
//
// # Signatures
//
// Calls are signed the Standard Webhooks way: headers webhook-id (the
// delivery's ID, the same on every attempt), webhook-timestamp (Unix
// seconds) and webhook-signature, "v1,<base64 HMAC-SHA256>" for each of
// the profile's secrets (NewSecret, Sign), so that receivers verify them
// with any Standard Webhooks library, during a secret rotation with
// either secret.
//
// # Authentication
//
// A callback authenticates with nothing, with a header holding a shared
// token, or with an OAuth 2.0 client-credentials token
// (golang.org/x/oauth2/clientcredentials) that the Client caches until it
// expires (a bounded cache, DefaultTokenCacheSize) and drops when the
// receiver answers 401.
//
// # Failures
//
// A call is bounded by the Client's timeout (DefaultTimeout), reads at
// most DefaultMaxResponseBody of the answer and does not follow
// redirects. A failure is an *Error, permanent (IsPermanent, ErrPermanent)
// when trying again cannot help (a 3xx or 4xx answer but 401 with client
// credentials, 408 and 429; an invalid callback or expansion), temporary
// otherwise. Nothing logs a secret, a token or a body.
package callback
