// Package graph is a directory source for Azure AD (Microsoft Entra ID)
// through Microsoft Graph.
//
// It signs in as an application with the OAuth 2.0 client credentials grant
// (tenant ID, client ID and client secret; the application needs the
// User.Read.All and GroupMember.Read.All application permissions), and
// reads users with $select of the mapped attributes, following
// @odata.nextLink page by page. The scope is either every user of the
// tenant or, with Config.GroupID, the transitive members of one security
// group.
//
// TransitiveGroups lists the groups a user is in, directly or through
// nested groups (transitiveMemberOf, paged); the claims package resolves
// Azure AD's group overage with it.
//
// Throttled requests (429 and 503) are retried after the Retry-After
// interval, a bounded number of times and never past the context's end.
// Graph's error bodies become [*Error] values, which match
// directory.ErrUnavailable (throttling, server errors) or
// directory.ErrNotFound (404) with errors.Is.
//
// Changes uses the users delta query: the cursor is the @odata.deltaLink of
// the previous round, which the last element of its stream carries, and
// users deleted in Azure AD ("@removed") come back
// as disabled entries with only ExternalID set and Raw["@removed"] holding
// the reason.
//
// # Passwords
//
// Graph cannot check a user's password for an application signed in with
// client credentials, and this package does not use the resource owner
// password credentials grant (Microsoft advises against it; it fails for
// federated users and with multi-factor authentication). A [Source] is
// therefore not a directory.PasswordSource: a directory.Chain refuses
// every password for the users it finds, and does not hand their logins
// to a later source. Sign them in with OIDC against Azure AD instead.
package graph
