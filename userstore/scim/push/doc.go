// Package push follows a user store's change feed and pushes every change of
// users and groups to a downstream SCIM 2.0 service provider (RFC 7643,
// RFC 7644), so that the downstream keeps a read-only copy of Usher's users,
// their profiles and groups with their members: ProAuth's "implicit SCIM
// synchronization".
//
// A Follower reads the feed (userstore.ChangeFeed) from its cursor, reads each
// user or group a change names again, and makes the downstream resource equal
// to it. Usher's user ID is the downstream user's externalId, and a group's
// ID (userstore.Group.ID) the downstream group's, so that a renamed group
// is renamed downstream — the same downstream group gets the new
// displayName (PUT, or a PATCH of displayName with PatchMembers) — rather
// than deleted and made again. A downstream group that a release before
// group IDs pushed under the group's normalized name is taken over: the
// next push of the group replaces it with PUT under its ID, and Reconcile
// keeps it. A resource is looked up with the
// filter externalId eq "…" (RFC 7644, section 3.4.2.2), replaced with PUT
// when it exists (section 3.5.1) and created with POST otherwise (section
// 3.3). A deleted user is deactivated with a PATCH of active (section
// 3.5.2.3) or deleted (section 3.6), as Config.DeleteMode says, after the
// downstream groups that still list it (filter members[value eq "…"]) are
// pushed again without it; a deleted group is deleted. A membership change
// makes the downstream group's members the store's current list, by a PUT of
// the whole group or, with Config.Members set to PatchMembers, a PATCH of
// only the members to add and remove; either is idempotent. Members are
// given by their downstream id (RFC 7643, section 4.2). The mapping of
// attributes is internal/scimmap's, the one Usher's inbound SCIM endpoint
// uses; what it does not map (free profile attributes outside its table,
// a group's description and metadata) is not pushed.
//
// # Delivery
//
// The cursor, kept in a CursorStore (MemoryCursors, or SQLCursors in the
// application's database), is saved only after the downstream acknowledged
// every change up to it. A crash, a downstream that fails or hangs, loses
// nothing: the next pass pushes again what was not acknowledged. Delivery is
// thus at least once, and idempotent by externalId: a create whose answer was
// lost is found by its externalId and replaced, never made twice. Run retries
// a failed pass with exponential backoff and logs each failure at Warn;
// every request is bounded by Config.RequestTimeout and every answer read up
// to 4 MiB. Reconcile makes the downstream equal to the store on request.
//
// Run one follower per Config.Name and downstream at a time (one process, or
// one elected among several): two followers sharing a cursor push the same
// changes twice, and two that create the same user at once may make two
// downstream resources when the downstream does not keep userName unique.
//
// # Authentication
//
// WithBearerToken sends a static token, WithClientCredentials gets tokens by
// OAuth 2.0 client credentials (golang.org/x/oauth2/clientcredentials), and
// WithHTTPClient lets the caller bring any other. Tokens are never logged;
// redirects are not followed unless the caller's client does so.
package push
