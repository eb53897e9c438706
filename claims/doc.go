// Package claims is Usher's one OpenID Connect client: sign-in at an
// identity provider, the mapping of its claims to a user's fields and
// roles, Azure AD group overage, just-in-time provisioning into a
// userstore, and claim rules that shape the issued identity.
//
// # Sign-in
//
// A [Client] (made with [New] from a [Config]) sends the user to the
// provider and verifies what comes back, with coreos/go-oidc and
// x/oauth2. The provider is found by discovery from Config.Issuer, or by
// explicit endpoints. Two response types:
//
//   - "code" (default): the authorization code flow with PKCE (S256), a
//     state and a nonce; the ID token comes from the token endpoint, and
//     with Config.UserInfo the userinfo endpoint fills in the claims the
//     token lacks.
//   - "id_token": the implicit flow with response_mode=form_post.
//
// Issuer, audience, expiry, nonce and signature are always checked; there
// is no switch to skip any of them. Signing keys are read from the
// provider's JWKS and read again when a token names an unknown key, so a
// key rotation needs nothing from the application.
//
// Between the redirect and the callback, the state, nonce and PKCE
// verifier wait in a [StateStore], single use and expiring
// (Config.StateTTL): [MemoryStates] for one process, [SQLStates] in the
// shared database (component "claims", see [Component]) so that any
// number of server processes can serve one sign-in.
//
// Two ways in:
//
//   - [Client.Handler], an http.Handler with /login and /callback that the
//     reference server mounts for its admin sign-in and any Go
//     application can mount; it also binds the sign-in to the browser
//     with a cookie.
//   - [Client.AuthURL] and [Client.Complete] for a caller without a
//     browser session (a device that relays the callback, the onboarding
//     package's OIDC requirement), and [Client.VerifyIDToken] for a caller
//     that ran the authorization request itself.
//
// Each returns the verified, mapped [Identity], or an error. A refused
// sign-in (wrong issuer, audience, expired token, bad signature, replayed
// nonce, missing or wrong state, unresolvable groups) matches
// [ErrRefused] and a precise sentinel ([ErrIssuer], [ErrAudience],
// [ErrExpired], [ErrSignature], [ErrNonce], [ErrState], [ErrGroups], …);
// any other error is an infrastructure fault.
//
// # Logging
//
// A refused sign-in is logged at Info with its reason, a mapping that
// gives a user no role at Warn. Tokens, codes, states, nonces and
// secrets are never logged.
package claims
