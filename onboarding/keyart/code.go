package keyart

import (
	"encoding/binary"
	"fmt"
)

// CodeDigits is the number of decimal digits in [Art.Code].
const CodeDigits = 8

// Code returns the comparison code: [CodeDigits] decimal digits in two groups
// of four separated by a space, such as "0482 1937". It is the big-endian
// uint64 of hash bytes 24–31 modulo 10^8, so it shares no bits with the
// picture (bytes 0–19); see the package documentation for why and for its
// entropy (about 26.6 bits).
func (a Art) Code() string {
	n := binary.BigEndian.Uint64(a.sum[24:32]) % 100_000_000
	return fmt.Sprintf("%04d %04d", n/10_000, n%10_000)
}
