// Package issuer checks a device's certificate signing request and issues
// the device's client certificate during onboarding.
//
// The flow is:
//
//  1. The server hands the device a fresh nonce for this onboarding.
//  2. The device sends a PKCS #10 CSR signed with its own key (ECDSA P-256
//     or Ed25519) that carries the nonce in its challengePassword attribute
//     (OID 1.2.840.113549.1.9.7, the attribute SCEP also uses). [NewCSR]
//     builds such a CSR for Go devices; `openssl req` can too.
//  3. [VerifyCSR] parses the CSR, checks the key type, the CSR's own
//     signature (proof of possession) and the nonce.
//  4. An [Issuer] issues the certificate. [LocalCA] is the built-in one: a
//     CA whose key and certificate live as PEM files in a directory and are
//     made on first use; it revokes serials and publishes a CRL. [SCEP] has
//     a third-party CA issue it over SCEP (RFC 8894).
//
// Because the nonce occupies challengePassword, the [SCEP] issuer, which forwards
// the device's CSR unchanged, needs a CA that accepts the onboarding nonce
// there (a dynamic-challenge check that asks Usher, or no challenge), not
// one that expects a static shared secret.
//
// Replay protection — refusing a nonce that was already used — is the job
// of the caller's onboarding store, which must consume a nonce exactly once.
package issuer
