package ldap

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"
)

// Active Directory's account attributes.
const (
	attrSAMAccountName = "sAMAccountName"
	attrPrimaryGroupID = "primaryGroupID"
	attrObjectSid      = "objectSid"
	attrAccountExpires = "accountExpires"
	attrLockoutTime    = "lockoutTime"
	attrLockoutDur     = "lockoutDuration"
)

// fileTimeToUnix is the number of seconds from the start of Windows'
// FILETIME (1601-01-01 UTC) to the Unix epoch.
const fileTimeToUnix = 11644473600

// fileTime converts a FILETIME (100 ns steps since 1601-01-01 UTC) to a
// time; ok is false for values that are not positive.
func fileTime(ft int64) (time.Time, bool) {
	if ft <= 0 {
		return time.Time{}, false
	}
	const perSecond = 10_000_000
	return time.Unix(ft/perSecond-fileTimeToUnix, (ft%perSecond)*100).UTC(), true
}

// accountExpired reports whether accountExpires (a FILETIME as a decimal
// string) lies at or before now. 0 and 0x7FFFFFFFFFFFFFFF mean never; a
// missing or malformed value is not expired.
func accountExpired(v string, now time.Time) bool {
	ft, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || ft == 0 || ft == math.MaxInt64 {
		return false
	}
	t, ok := fileTime(ft)
	return ok && !now.Before(t)
}

// lockout is a domain's lockoutDuration: how long a locked-out account
// stays locked.
type lockout struct {
	// known is false when the duration could not be read: then every
	// non-zero lockoutTime counts as locked.
	known bool
	// forever: locked until an administrator unlocks the account
	// (lockoutDuration 0x8000000000000000, or a non-negative value).
	forever bool
	d       time.Duration
}

// parseLockoutDuration reads lockoutDuration, a negative count of 100 ns
// steps.
func parseLockoutDuration(v string) lockout {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	switch {
	case err != nil:
		return lockout{}
	case n == math.MinInt64 || n >= 0:
		return lockout{known: true, forever: true}
	case -n > int64(math.MaxInt64/100):
		return lockout{known: true, forever: true}
	default:
		return lockout{known: true, d: time.Duration(-n) * 100}
	}
}

// locked reports whether lockoutTime (a FILETIME as a decimal string)
// holds the account locked at now: non-zero and, when the domain's
// duration is known, less than that long ago.
func (l lockout) locked(v string, now time.Time) bool {
	ft, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || ft == 0 {
		return false
	}
	if !l.known || l.forever {
		return true
	}
	t, ok := fileTime(ft)
	return !ok || now.Before(t.Add(l.d))
}

// sid is a security identifier in its binary form (MS-DTYP 2.4.2.2):
// revision, sub-authority count, a 48-bit authority and 32-bit
// little-endian sub-authorities.
type sid []byte

// validSID reports whether b is a well-formed binary SID.
func validSID(b []byte) bool {
	return len(b) >= 8 && b[0] == 1 && len(b) == 8+4*int(b[1])
}

// String gives the S-1-5-21-... form; "" for a malformed SID.
func (s sid) String() string {
	if !validSID(s) {
		return ""
	}
	var auth uint64
	for _, c := range s[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var b strings.Builder
	b.WriteString("S-1-")
	b.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < int(s[1]); i++ {
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(s[8+4*i:])), 10))
	}
	return b.String()
}

// withRID returns the SID of the account rid in the domain s.
func (s sid) withRID(rid uint32) sid {
	if !validSID(s) || s[1] == 255 {
		return nil
	}
	out := make(sid, len(s)+4)
	copy(out, s)
	out[1]++
	binary.LittleEndian.PutUint32(out[len(s):], rid)
	return out
}

// split returns the domain part of s and its last sub-authority (the
// RID); ok is false for a SID without sub-authorities.
func (s sid) split() (sid, uint32, bool) {
	if !validSID(s) || s[1] == 0 {
		return nil, 0, false
	}
	dom := make(sid, len(s)-4)
	copy(dom, s[:len(s)-4])
	dom[1]--
	return dom, binary.LittleEndian.Uint32(s[len(s)-4:]), true
}

// netBIOSDefault guesses a domain's NetBIOS name from its DNS name: the
// first label in upper case (EXAMPLE for example.test).
func netBIOSDefault(domain string) string {
	label, _, _ := strings.Cut(domain, ".")
	return strings.ToUpper(label)
}
