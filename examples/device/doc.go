// Command device (installed as usher-device) is a command-line phone: a
// device simulator with its own key that onboards to an application on an
// Usher server through the onboarding package's device API
// (onboarding.Manager.DeviceHandler, the /v1/onboardings… endpoints, with
// the Go client onboarding/deviceclient), then lists and answers the
// authentication requests pushed to it through package authrequest's
// device API (authrequest.Manager.DeviceHandler, with
// authrequest/deviceclient).
//
//	usher-device init     -key FILE [-alg p256|ed25519] [-png FILE] [-svg FILE]
//	usher-device onboard  -server URL -app NAME [-key FILE] [-state FILE] [-api URL]
//	                      [-username NAME] [-password-file FILE] [-phone NUMBER]
//	                      [-sms-dir DIR] [-sms-wait 30s] [-picture FILE]
//	                      [-poll 2s] [-wait 30m] [-cacert FILE]
//	usher-device show     [-key FILE] [-state FILE] [-png FILE] [-svg FILE]
//	usher-device requests [-key FILE] [-state FILE] [-api URL] [-json]
//	usher-device approve  [-id ID | -all] [-number N] [-payload TEXT] [-payload-type TYPE] [-key …]
//	usher-device deny     [-id ID] [-reason TEXT] [-key …]
//	usher-device claim    -qr 'usher-auth:?id=…&code=…' [-key …]
//	usher-device wait     [-timeout 5m] [-poll 2s] [-key …]
//
// Every subcommand has -help. -key defaults to ./device.key.
//
// # init
//
// init makes an ECDSA P-256 key (or Ed25519 with -alg ed25519) and writes it
// as PKCS #8 PEM to a new file with mode 0600 (internal/keyfile: the file is
// made whole or not at all, and an existing file is never overwritten). It
// prints the key's fingerprint — the SHA-256 of its DER
// SubjectPublicKeyInfo in hex, as onboarding.Fingerprint — and its 8-digit
// comparison code, and writes its picture (package keyart) as PNG and SVG
// when asked.
//
// # onboard
//
// onboard starts an onboarding of the key to the application named by -app
// and answers each requirement the server asks for, in the server's order:
//
//   - credentials: the username (-username, or asked) and password
//     (-password-file, a file of mode 0600 whose first line is the password,
//     or asked). On a terminal the password is read without echo
//     (golang.org/x/term); from a pipe it is read as a line, which is how
//     tests type it. The password is never logged. A refused typed answer
//     may be typed again, up to 3 times.
//   - sms: the phone number (-phone, or asked); the server sends a code if
//     the number is the user's, and the simulator asks for the code. With
//     -sms-dir DIR it reads the code instead from DIR/<E.164 number>.txt,
//     the file a development onboarding/sms.FileSender on the server
//     writes (the number must then be international, "+44…"): it removes a
//     stale file first, looks for the new one every 50 ms for at most
//     -sms-wait, and removes it after reading.
//   - oidc: the simulator prints the identity provider's sign-in URL; after
//     signing in, the person pastes the address the browser was sent back
//     to, and the simulator relays its state and code (or id_token) to the
//     server, as the device API specifies.
//   - manual: the simulator checks that the server computed the same
//     comparison code from the key it received (a different code means the
//     key was changed on the way, and onboard stops), writes the key's
//     picture as PNG (-picture, default the key file + ".png"), prints its
//     path and the code, and asks every -poll until an administrator
//     approves or rejects, giving up after -wait.
//   - any other kind: the simulator asks for each field the prompt names.
//
// -cacert names a PEM file of the CA certificates that sign the server's TLS
// certificate, for a server the system does not trust (a development CA).
//
// When every requirement is met it sends a PKCS #10 CSR signed with the key
// and carrying the server's current nonce, and stores the certificate as PEM
// in the key file + ".crt", mode 0644: a certificate is public (it is the
// public key and the user's, application's and device's IDs that the device
// shows every server it talks to), and other tools may read it; only the key
// is secret. It then writes the state file (-state, default the key file +
// ".json", mode 0600): the server, application, device ID, key and
// certificate paths, the key's fingerprint, -cacert and -api, which later
// subcommands read.
// A key is onboarded once: onboard refuses to start while its certificate or
// state file exists.
//
// # show
//
// show prints the key's fingerprint and code and, when the key is
// onboarded, the certificate's subject, issuer, serial and validity and the
// state file's server, application and device ID.
//
// # requests, approve, deny, claim, wait
//
// These read the state file and the key, and sign each call with the key
// as authrequest's device API asks (a proof of the key to list or claim;
// a signed answer over the request's nonce and an expiry one minute
// ahead). The device API's base URL is -api, else the state file's api
// (onboard -api), else its server: a server may mount authrequest's
// DeviceHandler at another prefix than onboarding's.
//
//   - requests lists the pending requests, oldest first: ID, role ("user":
//     the request is the device user's; "approver": the user approves
//     another user's request after that user did), who, action,
//     description, fingerprint, expiry, and whether number matching is
//     required. -json prints authrequest.DeviceRequest values. Texts from
//     the third party are shown with control characters as spaces, so
//     they cannot send terminal escapes.
//   - approve approves the request -id, every one with -all, or the only
//     one pending (several without -id or -all is a command-line mistake).
//     For a request with number matching it sends -number, or asks for
//     the number the sign-in page shows. -payload (and -payload-type,
//     default text/plain) goes back to the third party.
//   - deny denies -id (or the only one pending) with -reason, which the
//     third party and the callbacks receive.
//   - claim -qr claims a QR request from its code's text
//     ("usher-auth:?id=…&code=…"), binding it to the device's user, and
//     prints it; approve -id or deny -id answers it then.
//   - wait asks every -poll until a request is pending, prints it and ends
//     with 0, or ends with 4 after -timeout (0: until interrupted).
//
// # A server to try it on
//
// Until the reference server mounts the device APIs (issue 16),
// examples/device/devserver serves them for development: one application
// (Credentials, [SMS,] Manual), one user, onboarding and authentication
// requests in memory, the admin API without sign-in on loopback and the
// third-party API under /api with an access token it prints; README.md
// walks through onboarding and answering pushed requests with it.
//
// # Exit codes
//
//	0  done
//	1  failure (a file, the network, or the server refused an answer)
//	2  a mistake in the command line
//	3  an administrator rejected the onboarding
//	4  wait: no request arrived within -timeout
package main
