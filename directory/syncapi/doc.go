// Package syncapi is the HTTP protocol of a sync whose target is another
// process: a sync agent on one machine (examples/sync) signs its records
// and pushes them to an Usher server on another (examples/server), which
// verifies every record against the organization's public key before it
// writes it — records cross a trust boundary here.
//
// [NewHandler] is the server's side, to mount under a prefix (the
// reference server uses /api/sync) behind the application's own
// authentication; [Client] is the agent's side, a directory.SyncTarget
// (and BatchSyncTarget) that directory.Sync, ApplySync and AutoSync write
// through as through a local store. The routes, each naming the
// organization in the header Usher-Organization:
//
//	POST /keys     the organization's public key (PEM): 201 registered,
//	               200 the same key again, 409 another key or organization
//	GET  /records?source=NAME
//	               the records held for a source, as JSON lines
//	               ({"record": …, "signature": …}; a failure half-way
//	               ends the stream with {"error": …})
//	POST /records/lookup {"source", "externalIds": […]} (at most 1000)
//	               answers {"records": [{"record", "signature"}, …]}: the
//	               records held for those users
//	POST /changes  {"changes": [{"kind", "record", "before", "fields",
//	               "gone", "signature"}, …]} (at most 1000; "before" is
//	               left out for a new user) answers
//	               {"results": [{} | {"error": "bad_signature" | "refused",
//	               "message": …}, …]}, one per change in order
//
// A signature is either a record's own JWS (directory.RecordSigner.Sign)
// or, as directory.Sync sends them, a batch signature
// (directory.RecordSigner.SignBatch: "<head JWS>~<index>~<proof>"); the
// server checks each record's own proof against its batch's signed head
// and verifies each head once per request.
//
// Errors are Usher's JSON shape, {"error": code, "message": text}. A
// server holds one organization's key ([Keys]); records of any other
// organization are refused (403).
package syncapi
