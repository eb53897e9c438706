// Command sync (installed as usher-sync) is Usher's directory sync agent:
// it syncs users one way from a source — LDAP or Active Directory, a CSV
// file, or Azure AD through Microsoft Graph — into an Usher user store
// (SQLite or PostgreSQL), signing every user record with the
// organization's key. Its verbs are PureSync's:
//
//	usher-sync init                       write the configuration (asks, or takes flags)
//	usher-sync add        [email]         add the source's users the store lacks
//	usher-sync update     [email]         update details and groups that differ
//	usher-sync activate   [email]         activate users enabled again in the source
//	usher-sync deactivate [email]         deactivate users disabled in or gone from the source
//	usher-sync sync       [email]         all of the above at once
//	usher-sync status                     what a sync would do, and the store's totals
//	usher-sync group list
//	usher-sync group attach <groups> <emails>
//	usher-sync lookup <identifier>        the user an audit identifier names
//	usher-sync email resend [email]       welcome mail to users with an unverified e-mail
//	usher-sync autosync run               keep the store in step until stopped
//
// Every verb that writes takes --dry-run, which prints the plan (one line
// per user, named by identifier; --show-emails adds the e-mail) and
// changes nothing. Without it, the sync verbs plan and write in one pass
// (directory.Sync): changes are written in batches (--batch-size, default
// 1,000 per transaction) while the source is still being read.
//
// Deactivations wait until the whole source was read. A sync that would
// deactivate more than a share of the active users (sync.maxDeactivateShare,
// default 0.2; 0 allows none), or all of them because the source returned none, deactivates
// no one and fails with the guard's message unless --force is given: that
// is what a broken filter or an outage looks like. The sync verb still
// carries out its other changes; a dry run prints the plan and fails too.
// Naming one user (deactivate alice@example.com) passes the guard. Verbs
// that deactivate nothing (add, update, activate) are not held back.
//
// group attach sets the WHOLE group list of each user: it replaces, it does
// not append, and the next sync sets synced users' groups back to the
// source's. Give comma-separated lists: group attach "sales,staff"
// "a@example.com,b@example.com".
//
// # Configuration
//
// init writes a JSON file (default ./usher-sync.json, or --config, or
// USHER_SYNC_CONFIG) with mode 0600, since it holds the access token and
// the source's secrets. Every question has a flag, so init runs unattended:
//
//	usher-sync init --yes --org-id acme --source csv --csv-path users.csv \
//	    --store sqlite:/var/lib/usher/users.db
//	usher-sync init --yes --org-id acme --source ldap --ldap-url ldaps://dc.example.com \
//	    --ldap-bind-dn 'CN=sync,OU=Service,DC=example,DC=com' --ldap-base-dn 'OU=Staff,DC=example,DC=com' \
//	    --ldap-ad --ldap-domain example.com --store 'postgres://usher@db/usher' \
//	    --server https://usher.example.com --token "$TOKEN" --upload-key
//
// Secrets may come from the environment instead of the command line,
// where other local users can see them (ps): USHER_SYNC_TOKEN,
// USHER_SYNC_LDAP_PASSWORD, USHER_SYNC_GRAPH_SECRET. Answers typed at the
// prompts are echoed, secrets included.
//
// # Keys
//
// init generates the organization's key pair (Ed25519 by default, or
// --key-alg p256) unless it exists: existing keys are never overwritten.
// The private key is written with mode 0600; back it up, since it signs
// every record, and keep it secret, since whoever holds it can forge
// records. Every record is signed and the signature is kept on the user
// (attribute "sync.signature"), where it verifies with the public key on
// its own. Records are signed 128 at a time (directory.RecordSigner.SignBatch:
// one signature over a Merkle tree, and each record's inclusion proof),
// which makes signing and verifying a few hashes per record.
// Written into a local store, in this process, a record is not verified
// again (directory.NewSigningStoreTarget relies on the signer that just
// made it); pushed to a server, it is verified there before it is written.
//
// With --upload-key, init uploads the public key to the Usher server:
//
//	POST {server}/api/sync/keys
//	Authorization: Bearer {token}
//	Content-Type: application/x-pem-file
//	Usher-Organization: {orgId}
//
//	-----BEGIN PUBLIC KEY-----
//	...
//
// Any 2xx answer is success; 401 and 403 mean the token was refused; 409
// means the organization has another key registered. The reference
// server (examples/server) serves it, with the rest of its sync API
// (directory/syncapi).
//
// # Syncing to a server on another machine
//
// With "store": "server" (init --store server) the target is the Usher
// server at "server" rather than a database: sync, apply and autosync
// push the signed records through its sync API with "token" (an access
// token of scope sync, made on the server's admin page), and the server
// verifies each against the uploaded public key before it writes it.
// lookup, status, email and group read a local store and refuse to run
// then; the server's admin page shows what it holds.
//
// # Identifiers
//
// Output and logs name users by their identifier, the hex SHA-256 of the
// organization ID, a NUL byte and the lower-case corporate e-mail, never by
// the e-mail; lookup turns an identifier back into the user.
//
// # Progress and exit codes
//
// On a terminal, long operations rewrite one progress line; otherwise (a
// pipe, a log file, the journal) they print a plain line at every tenth.
// Errors name the row (CSV line), the user (by identifier) or the setting
// at fault. Exit codes: 0 success, 1 failure, 2 a mistake in the command
// line.
//
// # Running autosync under systemd
//
// autosync run applies the source's changes every sync.interval (default
// 1m) and reconciles fully every sync.fullEvery (default 24h); it stops
// cleanly on SIGINT or SIGTERM. A unit file, for example
// /etc/systemd/system/usher-sync.service:
//
//	[Unit]
//	Description=Usher directory sync
//	After=network-online.target
//	Wants=network-online.target
//
//	[Service]
//	Type=simple
//	User=usher-sync
//	ExecStart=/usr/local/bin/usher-sync autosync run --config /etc/usher-sync/usher-sync.json
//	Restart=on-failure
//	RestartSec=30s
//	# SIGTERM stops the loop between changes; each change is idempotent.
//	KillSignal=SIGTERM
//	TimeoutStopSec=30s
//	NoNewPrivileges=yes
//	ProtectSystem=strict
//	ReadWritePaths=/etc/usher-sync /var/lib/usher
//	PrivateTmp=yes
//
//	[Install]
//	WantedBy=multi-user.target
//
// then systemctl daemon-reload && systemctl enable --now usher-sync. The
// configuration's directory must be writable, since autosync keeps its
// change cursors there (sync.cursorDir, default "cursors" beside the file).
//
// # Passwords
//
// A sync carries no passwords. The CSV reader refuses a Notakey file with a
// non-empty Password column unless it has a hasher, which this agent does
// not give it: use the PureSync template or an empty Password column.
//
// # Crash safety
//
// Every change is idempotent and keyed by the user's external ID, so a
// sync killed at any point (kill -9 included) and run again ends in the
// same state as an uninterrupted one; the tests check that.
package main
