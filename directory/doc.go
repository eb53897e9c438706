// Package directory reads users from user sources — LDAP and Active
// Directory, CSV files, Azure AD through Microsoft Graph — maps their
// attributes onto Usher's fields, looks users up through a chain of
// sources, and syncs a source one way into a user store.
//
// # Sources
//
// A [Source] is deliberately small: look up one user and stream every user
// in scope. What only some sources can do is an optional capability beside
// it, found by type assertion in the manner of Dex's connectors: checking
// a password ([PasswordSource]; LDAP and CSV can, Graph cannot), listing
// what changed ([ChangeSource]) and listing groups ([GroupSource]). The
// sources live in sub-packages: directory/ldap, directory/csv and
// directory/graph. directory/syncapi carries a sync to a target in
// another process (a server on another machine) over HTTP.
//
// # Lookup chain
//
// A [Chain] (Notakey's lookup order) looks a login up in the user store
// first and then in each source in order; the first source that knows the
// login decides, and with AutoCreate the user is created in the store from
// the source's entry. A source that cannot check passwords refuses every
// login it knows. Every refusal is userstore.ErrInvalidCredentials.
//
// # Sync
//
// [PlanSync] compares a source's users with what a [SyncTarget] holds and
// yields the changes (add, update, activate, deactivate, groups,
// unchanged); [ApplySync] carries them out, and [Sync] does both in one
// pass, writing while it still reads the source and comparing it with the
// target a batch at a time ([SyncBatchLookup]), so that memory holds the
// changes to make, not the users that are unchanged. A target that can
// write many records at once ([BatchSyncTarget], which StoreTarget is
// over a store with userstore.SyncWriter) gets them in batches. Users are
// never deleted, and a guard refuses plans that would deactivate too many
// ([ErrSyncGuard]). Every record is put in a canonical form ([Record])
// and signed with the organization's key ([RecordSigner]); the target
// keeps the signature. The sync functions sign a batch of records at once
// ([RecordSigner.SignBatch]: one JWS over a Merkle tree of up to
// [RecordsPerHead] records, and for each record that signed head plus its
// inclusion proof), so that signing and verifying cost a few hashes per
// record rather than a public-key operation; each signature still
// verifies on its own with the public key, as a single record's JWS
// ([RecordSigner.Sign]) does. Verification guards trust boundaries: a
// target fed by another process ([NewStoreTarget]) verifies every record
// ([RecordVerifier]) before writing it, while a target made with the
// signer itself ([NewSigningStoreTarget]) relies on that signer for the
// records this package's sync functions sign with it in the same process,
// and verifies everything else. Logs name
// users by an [Identifier] derived from the organization ID and the
// corporate e-mail, never by the e-mail; [LookupIdentifier] reverses one.
// [AutoSync] keeps a target in step: incremental changes from a
// [ChangeSource] cursor, and periodic full reconciliations. [StoreTarget]
// writes into a local user store.
package directory
