// Package scim is Usher's inbound SCIM 2.0 endpoint (RFC 7643, RFC 7644):
// identity providers such as Microsoft Entra ID and Okta provision users and
// groups into a userstore through it.
//
// NewHandler returns an http.Handler that serves, relative to where it is
// mounted (the reference server mounts it at /scim/v2 with
// http.StripPrefix("/scim/v2", h)):
//
//	/Users, /Users/{id}            GET (filter, startIndex, count, attributes,
//	                               excludedAttributes), POST, PUT, PATCH, DELETE
//	/Groups, /Groups/{id}          the same for groups; a group's id is its
//	                               stable userstore.Group.ID
//	/ServiceProviderConfig         what the endpoint supports
//	/ResourceTypes, /Schemas       discovery, from the SCIM library
//
// The protocol — JSON bodies, schema validation, the filter language and
// PATCH paths — is handled by github.com/elimity-com/scim; this package
// maps its resources to userstore (through internal/scimmap, whose package
// doc lists each attribute) and adds what the library leaves to the service
// provider:
//
//   - Authentication: every request needs "Authorization: Bearer <token>"
//     accepted by the TokenVerifier given with WithTokenVerifier (the
//     reference server plugs in its SCIM-scoped access tokens; StaticTokens
//     keeps fixed tokens by SHA-256 hash). A missing or refused token gets
//     401 with a SCIM error body. Tokens are never logged.
//   - Limits: a request body over Config.MaxBodyBytes (default 1 MiB) is
//     refused with 413 and a SCIM error before anything is read into the
//     store; a page holds at most Config.MaxPageSize resources (default 100).
//   - Versions: a user's and a group's meta.version and ETag header are the
//     weak ETag W/"<Version>". PUT, PATCH and DELETE honour If-Match: a stale
//     one is refused with 412 and changes nothing. Writes are compare-and-set
//     on the version read, so concurrent writers cannot overwrite each other.
//   - Errors: userstore.ErrNotFound is 404, ErrConflict 409 (uniqueness),
//     ErrInvalid 400 (invalidValue); anything else is 500 with a generic
//     detail, logged at Error.
//
// Users created through SCIM get userstore.User.Source = Config.Source
// (default "scim") and ExternalID from externalId; a filter externalId eq
// "x" looks the user up by that pair. Filters the store cannot answer
// directly (anything other than userName eq and externalId eq on users, and
// displayName eq on groups) are evaluated by the library's filter
// validator over every user or group in turn, so they cost a full scan.
//
// A GET honours attributes and excludedAttributes (RFC 7644, section
// 3.4.2.5): comma-separated attribute paths, with or without their schema
// URN ("name.givenName", "emails.value", "urn:…:enterprise:2.0:User:department"),
// matched without regard to case, at most 64 of at most 256 bytes each
// (more is 400 invalidValue). schemas, id, externalId and meta are always
// returned. A group list that neither returns nor filters on members does
// not read them, so Entra ID's lookup with excludedAttributes=members costs
// no member list.
//
// PATCH takes add, replace and remove, with no path (a value object, as Okta
// sends), a simple path (active, userName, displayName), a sub-attribute
// path (name.familyName), a filtered path (emails[type eq "work"].value,
// members[value eq "id"]) and members with a list of values, as Microsoft
// Learn's "Tutorial: Develop and plan provisioning for a SCIM endpoint in
// Microsoft Entra ID" and Okta's "SCIM 2.0 protocol" reference document
// them, and as Entra ID sends them without its aadOptscim062020 flag
// (Microsoft Learn, "Known issues and resolutions with SCIM 2.0 protocol
// compliance of the Microsoft Entra user provisioning service"): active as
// the string "False" is read as the boolean, "name.givenName" and
// "urn:…:User:employeeNumber" as keys of a value object are the attributes
// they name, and members with a list of values removes those members.
//
// A POST or PUT naming a top-level attribute the schema does not define is
// refused with 400 invalidValue (the library would drop it silently).
//
// Groups: a group's id is its userstore.Group.ID, which never changes, so
// a displayName replace (Entra ID's "Update Group [Non-member attributes]")
// renames the group under the same id, members and all; a name another
// group has is refused with 409 uniqueness. An id that names no group is
// also tried as a group name, so that clients holding the ids of releases
// before group IDs (which were names) keep working. A user PATCH or PUT is
// one compare-and-set write, and so is a group PATCH or PUT, whatever its
// operations: rename, externalId and every member added or removed are
// applied by one userstore UpdateGroupByID at the version read, all or
// nothing, refused with 412 when the group changed meanwhile. A group's
// version does not move with its members. A POST with members creates the
// group, then adds them. DELETE checks If-Match, then deletes: userstore
// has no compare-and-delete.
//
// The handler is safe for concurrent use.
package scim
