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
// # Mapping
//
// [Mapping] turns the verified claims into a userstore.User's fields: a
// table from claim keys to fields ([FieldFirstName], [FieldLastName],
// [FieldDisplayName], [FieldEmail], [FieldPhone], [FieldMasterID] (the
// user's ID at the provider, User.ExternalID), [FieldUsername] (the domain
// username) and any profile attribute as [AttributePrefix]+name). Field
// names are case-sensitive, and a table that maps two claims to one field
// is refused by New with an error naming both. Without a table the
// standard claims map ([DefaultClaims]); the ID comes from sub (or
// Mapping.IDClaim, such as Azure AD's unique_name).
//
// Mapping.GroupRoles maps group names or IDs to roles: a user gets the
// union of the roles of all their mapped groups, or Mapping.DefaultRoles
// when none is mapped — or no role, and Identity.Warnings (and a Warn log)
// tell the administrator. The mapping runs at every sign-in, so a user
// moved between groups gets the new roles at the next one.
//
// # Azure AD group overage
//
// When a user is in too many groups, Azure AD leaves the groups claim out
// and names a claim source instead (_claim_names and _claim_sources, or
// hasgroups in the implicit flow). A [GroupResolver] given with
// [WithGroupResolver] resolves them; [AzureGroups] does it through
// Microsoft Graph with directory/graph's client credentials (transitive
// membership, paged, as names or IDs). When the groups cannot be
// resolved the sign-in is refused with [ErrGroups]: a user is never let in
// without their groups.
//
// # Just-in-time provisioning
//
// A [Provisioner] brings the user of a verified sign-in into a userstore:
// the first sign-in creates it with the mapped fields and roles (when
// ProvisionConfig.SelfRegistration allows; disabled until an
// administrator enables it unless ActiveByDefault) and mails the
// configured administrators through a [Mailer]; later sign-ins update the
// mapped fields and roles. What it does goes to the store's audit trail
// (claims.provisioned, claims.updated, claims.refused). Call it only with
// the Identity of a sign-in that succeeded: a refused sign-in provisions
// nothing.
//
// # Claim rules
//
// A [RuleSet] of [Rule]s creates, replaces or removes claims of the issued
// identity (ProAuth's claim engine), each with a text/template over a
// [RuleContext] (see its documentation for the fields and functions). A
// rule is checked when it is saved ([CheckRule], [NewRuleSet]): a template
// that does not parse, or refers to a field the context lacks in any of
// its branches, is refused then, not at sign-in. Running is bounded: each
// rule has a timeout and an output limit ([RulesConfig]), ranges are over
// the context's own data and do not nest. The pwchangeurl example shows a
// claim with userstore's change-password link only for user-store logins.
//
// # Logging
//
// A refused sign-in is logged at Info with its reason, a mapping that
// gives a user no role at Warn. Tokens, codes, states, nonces and
// secrets are never logged.
package claims
