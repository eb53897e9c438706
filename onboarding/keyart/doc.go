// Package keyart turns a device's public key into a picture and a short
// numeric code that a person can compare between two screens.
//
// It serves the "Manual (in person)" onboarding requirement: the device shows
// the picture and code of its own key, the server's pending-approval list
// shows the picture and code of the key it received, and an administrator
// approves only when both match. Both sides compute them with this package
// from the same input, the SHA-256 of the key's DER-encoded
// SubjectPublicKeyInfo (what [x509.MarshalPKIXPublicKey] produces), so they
// agree bit for bit.
//
// # The picture
//
// Call the hash h and number its bits 0 to 255, most significant bit of h[0]
// first. The picture is a square of 120×120 units:
//
//   - a frame, 8 units wide, in one of the 8 palette colours, chosen by
//     bits 150–152;
//   - inside it a white field holding a grid of 10×10 cells, each 10 units
//     square and painted 8×8 with a 1-unit white gutter on every side, so
//     neighbouring cells of the same colour stay apart;
//   - the grid is mirrored left to right: the 5 cells of the left half of
//     row r, column c (c = 0…4), take cell index k = 5r + c and the colour
//     numbered by bits 3k…3k+2 (read as a big-endian 3-bit number); column
//     9−c repeats column c.
//
// So 50 independent cells × 3 bits + 3 frame bits = 153 bits of the hash are
// visible (bits 0–152, all within bytes 0–19). The mirror costs no bits (the
// hidden half would be the same cells) but makes the picture read as a
// face-like shape that people remember and compare faster, and it shows every
// differing cell twice.
//
// The palette is the 8-colour palette of Okabe and Ito, chosen to stay
// distinguishable with the common forms of colour blindness: black, orange,
// sky blue, bluish green, yellow, blue, vermillion and reddish purple. See
// [Palette].
//
// # Why a near-collision is unlikely to look alike
//
// An attacker who wants their own key to pass for the victim's must grind
// keys until one's picture is close to the victim's. Each cell matches by
// chance with probability 1/8, independently (SHA-256 output bits are
// independent). The chance that a random key has the same frame and differs
// in at most d of the 50 cells is about 2^-153 for d = 0, 2^-124 for d = 4,
// 2^-92 for d = 10 and 2^-66 for d = 16. So even 2^64 tries leave about 16
// differing cells — 32 differing squares, a third of the picture — and 2^80
// tries still leave about 12 (24 squares). A glance may miss that, which is
// why the code exists.
//
// # The comparison code
//
// [Art.Code] is 8 decimal digits in two groups of four ("0123 4567"), the
// big-endian uint64 of hash bytes 24–31 modulo 10^8. Those bytes are disjoint
// from the picture's bytes 0–19 (bytes 20–23 are used by neither), so the
// code is independent of the picture: grinding keys to make the picture close
// gains nothing towards the code, and a key that fools both must match 153
// picture bits and the code at once. The code carries log2(10^8) ≈ 26.6
// bits; the modulo bias is below 10^8/2^64 ≈ 5.4×10^-12 and negligible.
// Matching the code alone takes about 10^8 ≈ 2^26.6 key generations, which is
// cheap; matching the code and coming within 16 cells of the picture takes
// about 2^(26.6+66) ≈ 2^93. Administrators should therefore compare every
// digit of the code and then check the picture, not the other way round.
//
// # Determinism and concurrency
//
// Nothing here uses randomness, the clock or package state: the same key
// always gives the same [Art], byte-identical SVG, and pixel-identical PNG
// (byte-identical too for one Go release, since the bytes depend on the
// standard library's DEFLATE encoder). [Art] is a small value; all its
// methods are safe for concurrent use.
package keyart
