// Command device (installed as usher-device) is a command-line phone: a
// device simulator with its own key that onboards to an application on an
// Usher server through the onboarding package's device API
// (onboarding.Manager.DeviceHandler, the /v1/onboardings… endpoints), with
// the Go client onboarding/deviceclient.
//
//	usher-device init    -key FILE [-alg p256|ed25519] [-png FILE] [-svg FILE]
//	usher-device onboard -server URL -app NAME [-key FILE] [-state FILE]
//	                     [-username NAME] [-password-file FILE] [-phone NUMBER]
//	                     [-picture FILE] [-poll 2s] [-wait 30m] [-cacert FILE]
//	usher-device show    [-key FILE] [-state FILE] [-png FILE] [-svg FILE]
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
//     or asked). The simulator does not depend on golang.org/x/term, so a
//     typed password is shown by the terminal; scripts use -password-file.
//     The password is never logged. A refused typed answer may be typed
//     again, up to 3 times.
//   - sms: the phone number (-phone, or asked); the server sends a code if
//     the number is the user's, and the simulator asks for the code. (A
//     development sender that writes codes to files, for -sms-dir, does not
//     exist in onboarding/sms yet.)
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
// certificate paths, the key's fingerprint and -cacert, which later
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
// # A server to try it on
//
// Until the reference server mounts the device API (issue 16),
// examples/device/devserver serves it for development (one application,
// Credentials then Manual, one user, in memory, the admin API without
// sign-in on loopback); README.md walks through an onboarding with it.
//
// # Later
//
// Listing pending authentication requests and approving or denying them
// (requests, approve, deny, with number matching) come with package
// authrequest's device API.
//
// # Exit codes
//
//	0  done
//	1  failure (a file, the network, or the server refused an answer)
//	2  a mistake in the command line
//	3  an administrator rejected the onboarding
package main
