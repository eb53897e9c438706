package hasher

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vectors of the legacy formats, from the systems that wrote them.

// Ulrich Drepper's SHA-crypt test vectors, as run by PHP's crypt() tests:
// github.com/php/php-src ext/standard/tests/strings/crypt_sha256.phpt and
// crypt_sha512.phpt (also https://www.akkadia.org/drepper/SHA-crypt.txt).
var (
	sha256CryptVectors = []legacyVector{
		{"Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"},
		{"we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"},
		{"a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"},
		{"the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
	}
	sha512CryptVectors = []legacyVector{
		{"Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
		{"a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
		{"the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
		// php-src crypt_sha512.phpt, case 8: an empty salt.
		{"foo", "$6$$QMXjqd7rHQZPQ1yHsXkQqC1FBzDiVfTHXL.LaeDAeVV.IzMaV9VU4MQ8kPuZa2SOP1A0RPm772EaFYjpEJtdu."},
	}
)

// MD5-crypt: passlib's known_correct_hashes for md5_crypt
// (passlib/tests/test_handlers.py, class md5_crypt_test; the same vectors
// are in github.com/glic3rinu/passlib passlib/tests/test_md5_crypt.py).
var md5CryptVectors = []legacyVector{
	{"", "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o."},
	{" ", "$1$m/5ee7ol$bZn0kIBFipq39e.KDXX8I0"},
	{"test", "$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020"},
	{"Compl3X AlphaNu3meric", "$1$nX1e7EeI$ljQn72ZUgt6Wxd9hfvHdV0"},
	{"4lpHa N|_|M3r1K W/ Cur5Es: #$%(*)(*%#", "$1$jQS7o98J$V6iTcr71CGgwW2laf17pi1"},
	{"test", "$1$SuMrG47N$ymvzYjr7QcEQjaK5m1PGx1"},
}

// Ory Kratos's import prefixes: github.com/ory/kratos hash/hasher_test.go
// (TestCompare, subtests "md5-crypt", "sha256-crypt" and "sha512-crypt";
// read at commit 029d8a359233d762a897837e3aaf2c4d3a825399). Kratos's
// hashes that it expects to fail are in TestLegacyKratosFailures.
var (
	kratosMD5CryptVectors = []legacyVector{
		{"test", "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/"},
		{"test", "$md5-crypt$$whuMjZj.HMFoaTaZRRtkO0"}, // empty salt
		{"ory", "$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b."},
	}
	kratosSHA256CryptVectors = []legacyVector{
		{"test", "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78"},
		{"ory", "$sha256-crypt$rounds=535000$awpcR7lDlnK/S7WE$vHU7KkQwyjfGz6u4MUi7.lH9htK/l63HloTsX1ZMz.3"},
	}
	kratosSHA512CryptVectors = []legacyVector{
		{"test", "$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1"},
		{"ory", "$sha512-crypt$rounds=656000$0baQbxBrfpKqvizk$Q9cYk1MeNAlECPgpG3jjfNI2DumLqd0yHbxzLdxiX6nsSD5i9n0awcbiCf8R5DzpIYxeBPznPcb1wtzlgUKtH0"},
	}
)

// LDAP {MD5} and {SMD5}: passlib's passlib/tests/test_handlers.py, classes
// ldap_md5_test and ldap_salted_md5_test (known_correct_hashes; the three
// "test" hashes have salts of 8, 15 and 16 bytes).
var (
	ldapMD5Vectors = []legacyVector{
		{"helloworld", "{MD5}/F4DjTilcDIIVEHn/nAQsA=="},
		{upassTable, "{MD5}BUc/ihn2aBXnN7MyZKDQsA=="},
	}
	ldapSMD5Vectors = []legacyVector{
		{"testing1234", "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE="},
		{upassTable, "{SMD5}Z0ioJ58LlzUeRxm3K6JPGAvBGIM="},
		{"test", "{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P4cw"},
		{"test", "{SMD5}XRlncfRzvGi0FDzgR98tUgBg7B3jXOs9p9S615qTkg=="},
		{"test", "{SMD5}FbAkzOMOxRbMp6Nn4hnZuel9j9Gas7a2lvI+x5hT6j0="},
	}
)

// LDAP schemes. {SHA} and {SSHA}: passlib's passlib/tests/test_handlers.py
// (classes ldap_sha1_test, ldap_salted_sha1_test). {SSHA512}: the same
// file, class ldap_salted_sha512_test. The "correct horse" vectors were
// made with OpenLDAP's own slappasswd (Debian slapd 2.5.13, pw-sha2
// module for {SSHA256}/{SSHA512}): slappasswd -o
// module-load=pw-sha2.so -h '{SSHA256}' -s 'correct horse'.
var (
	ldapSHAVectors = []legacyVector{
		{"helloworld", "{SHA}at+xg6SiyUovktq1redipHiJpaE="},
		{upassTable, "{SHA}4FmyYo46Pi3glWed6YIsHRRm4PA="},
		{"correct horse", "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A="},
	}
	ldapSSHAVectors = []legacyVector{
		{"testing123", "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"},
		{"secret", "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7"},
		{upassTable, "{SSHA}3yCSD1nLZXznra4N8XzZgAL+s1sQYsx5"},
		// alternate salt sizes (8, 15, 16)
		{"test", "{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOckw=="},
		{"test", "{SSHA}/ZMF5KymNM+uEOjW+9STKlfCFj51bg3BmBNCiPHeW2ttbU0="},
		{"test", "{SSHA}Pfx6Vf48AT9x3FVv8znbo8WQkEVSipHSWovxXmvNWUvp/d/7"},
	}
	ldapSSHA256Vectors = []legacyVector{
		{"correct horse", "{SSHA256}hfwL+fY2nDoC3BMgr5CfvXQEPDxTWrL9SPrHTLgtsWTIGJ8SZ/b8mg=="},
	}
	ldapSSHA512Vectors = []legacyVector{
		{"toomanysecrets", "{SSHA512}wExp4xjiCHS0zidJDC4UJq9EEeIebAQPJ1PWSwfhxWjfutI9XiiKuHm2AE41cEFfK+8HyI8bh+ztbczUGsvVFIgICWWPt7qu"},
		{"letm\u00e8\u00efn", "{SSHA512}mpNUSmZc3TNx+RnPwkIAVMf7ocEKLPrIoQNsg4Eu8dHvyCeb2xzHp5A6n4tF7ntknSvfvRZaJII4ImvNJlYsgiwAm0FMqR+3"},
		{"password", "{SSHA512}f/lFQskkl7PdMsTGJxHZq8LDt/l+UqRMm6/pj4pV7/xZkcOaKCgvQqp+KCeXc/Vd4RY6vEHWn4y0DnFcQ6wgyv9fyxk="},
		{"test", "{SSHA512}Tgx/uhHnlM9/GgQvI31dN7cheDXg7WypZwaaIkyRsgV/BKIzBG3G/wUd9o1dpi06p3SYzMedg0lvTc3b6CtdO0Xo/f9/L+Uc"},
		{"correct horse", "{SSHA512}rQIadttHcDzs4UD2rlAtXhiN0GqkRYphmkpAVrX07qT7NWGcrkYofsLfq7ue5/GU1irPeZ5cZ4tXsqHTQFDDxCPgytYWtWab"},
	}
	// {CRYPT}: passlib's class ldap_md5_crypt_test, and slappasswd -h
	// '{CRYPT}' -c '$6$rounds=5000$%.16s' (and '$5$%.16s').
	ldapCryptVectors = []legacyVector{
		{"", "{CRYPT}$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o."},
		{"test", "{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020"},
		{upassTable, "{CRYPT}$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0"},
		{"correct horse", "{CRYPT}$6$rounds=5000$SmW4XrnTj9Ci6TpX$0gzL7eufq04hoedY0KMc9UVPz.5trIhEIsLAN2GpZoE1wpVQChzNf358hC3RN/NozXiJGypwOB3WqYqIQksCU/"},
		{"correct horse", "{CRYPT}$5$cvb85Ewz23hb3TAr$se07Bl1nlCxOfGWwaTAIgtLg7/G9rgwbsal9SFP7pm2"},
	}
)

// Django: passlib's passlib/tests/test_handlers_django.py (hashes made by
// Django's own hashers, 1.4 to 1.10), and Django's
// tests/auth_tests/test_hashers.py (test_pbkdf2: make_password("lètmein",
// "seasalt", "pbkdf2_sha256") at Django 1.6's 12,000 and 2.1's 120,000
// iterations).
const upassLetmein = "l\u00e8tmein"

var (
	djangoPBKDF2SHA256Vectors = []legacyVector{
		{"not a password", "pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs="},
		{upassTable, "pbkdf2_sha256$10000$bEwAfNrH1TlQ$OgYUblFNUX1B8GfMqaCYUK/iHyO0pa7STTDdaEJBuY0="},
		{upassLetmein, "pbkdf2_sha256$12000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s="},
		{upassLetmein, "pbkdf2_sha256$120000$seasalt$fsgWMpOXin7ZAmi4j+7XjKCZ4JCvxJTGiwwDrawRqSc="},
	}
	djangoPBKDF2SHA1Vectors = []legacyVector{
		{"not a password", "pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I="},
		{upassTable, "pbkdf2_sha1$10000$KZKWwvqb8BfL$rw5pWsxJEU4JrZAQhHTCO+u0f5Y="},
	}
	djangoArgon2Vectors = []legacyVector{
		{"password", "argon2$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A"},
		{"password", "argon2$argon2i$v=19$m=380,t=2,p=2$c29tZXNhbHQ$SrssP8n7m/12VWPM8dvNrw"},
		{upassLetmein, "argon2$argon2i$v=19$m=512,t=2,p=2$V25jN1l4UUJZWkR1$MxpA1BD2Gh7+D79gaAw6sQ"},
	}
	djangoBcryptSHA256Vectors = []legacyVector{
		{"", "bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu"},
		{upassLetmein, "bcrypt_sha256$$2a$08$NDjSAIcas.EcoxCRiArvT.MkNiPYVhrsrnJsRkLueZOoV1bsQqlmC"},
		{upassTable, "bcrypt_sha256$$2a$06$kCXUnRFQptGg491siDKNTu8RxjBGSjALHRuvhPYNFsa4Ea5d9M48u"},
		// 72 bytes and longer (passlib's repeat_string("abc123", 72) is 72
		// characters): the SHA-256 first keeps every byte.
		{strings.Repeat("abc123", 12), "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OySmyXA8FoY4PjGizjE1QSDfuL5MXNni"},
		{strings.Repeat("abc123", 12) + "qwr", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG"},
		{strings.Repeat("abc123", 12) + "xyz", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OvY2zoRVUa2Pugv2ExVOUT2YmhvxUFUa"},
	}
)

// Firebase: the example of github.com/firebase/scrypt README.md ("Password
// hashing"): project parameters in legacyFirebase, salt
// "42xEC+ixf3L2lw==", password "user1password".
var firebaseVectors = []legacyVector{
	{"user1password", legacySamples["firebase-scrypt"]},
}

func TestLegacyVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vectors []legacyVector
	}{
		{"md5-crypt", md5CryptVectors},
		{"sha256-crypt", sha256CryptVectors},
		{"sha512-crypt", sha512CryptVectors},
		{"kratos-md5-crypt", kratosMD5CryptVectors},
		{"kratos-sha256-crypt", kratosSHA256CryptVectors},
		{"kratos-sha512-crypt", kratosSHA512CryptVectors},
		{"ldap-md5", ldapMD5Vectors},
		{"ldap-smd5", ldapSMD5Vectors},
		{"ldap-sha", ldapSHAVectors},
		{"ldap-ssha", ldapSSHAVectors},
		{"ldap-ssha256", ldapSSHA256Vectors},
		{"ldap-ssha512", ldapSSHA512Vectors},
		{"ldap-crypt", ldapCryptVectors},
		{"django-pbkdf2-sha256", djangoPBKDF2SHA256Vectors},
		{"django-pbkdf2-sha1", djangoPBKDF2SHA1Vectors},
		{"django-argon2", djangoArgon2Vectors},
		{"django-bcrypt-sha256", djangoBcryptSHA256Vectors},
		{"firebase-scrypt", firebaseVectors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyVectors(t, legacyTestHasher(t, tt.name, Config{Firebase: legacyFirebase()}), tt.vectors)
		})
	}
}

func TestLegacyMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    error
		encoded []string
	}{
		// passlib's known_malformed_hashes for the same classes.
		{"md5-crypt", ErrMalformedHash, []string{"$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!", "$1$dOHYPKoP$", "$1$"}},
		{"ldap-ssha", ErrMalformedHash, []string{
			"{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOck",
			"{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOckw=",
			"{SSHA}P90+qijSp8MJ1tN25j5o1Pf=UvlqjXHOGeOckw==",
			"{SSHA}P90+qijSp8MJ1tN25j5o1PflUvlqjXHOGeOck===",
		}},
		{"ldap-md5", ErrMalformedHash, []string{
			"{MD5}/F4DjTilcDIIVEHn/nAQsA=",           // padding cut
			"{MD5}/F4DjTilcDIIVEHn/nAQsAAAA",         // 18 bytes, not 16
			"{MD5}at+xg6SiyUovktq1redipHiJpaE=",      // a {SHA} digest
			"{MD5}/F4DjTilcDIIVEHn/nAQsA==\n",        // trailing newline
			"{MD5}/F4DjTilcDIIVEHn/nAQsA==/F4DjTilc", // trailing data
		}},
		// passlib's known_malformed_hashes of ldap_salted_md5_test, but for
		// '{SMD5}IGVhwK+anvspmfDt2t0vgGjt/Q==' (a 3-byte salt, which passlib
		// refuses and Usher accepts, as for {SSHA}), and a salt-less digest.
		{"ldap-smd5", ErrMalformedHash, []string{
			"{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P4c",
			"{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P4cw{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P4cw=",
			"{SMD5}LnuZPJhiaY95/4lmV=pg548xBsD4P4cw",
			"{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P===",
			"{SMD5}/F4DjTilcDIIVEHn/nAQsA==",
		}},
		{"ldap-ssha512", ErrMalformedHash, []string{
			"{SSHA512}Tgx/uhHnlM9/GgQvI31dN7cheDXg7WypZwaaIkyRsgV/BKIzBG3G/wUd9o1dpi06p3SYzMedg0lvTc3b6CtdO0Xo/f9/L+U",
			"{SSHA512}Tgx/uhHnlM9/GgQvI31dN7cheDXg7WypZwaaIkyRsgV/BKIzBG3G/wUd9o1dpi06p3SYzMedg0lvTc3b6CtdO0Xo/f9/L+U@",
			"{SSHA512}Tgx/uhHnlM9/GgQvI31dN7cheDXg7WypZwaaIkyRsgV/BKIzBG3G/wUd9o1dpi06p3SYzMedg0lvTc3b6CtdO0Xo/f9/L+U===",
		}},
		{"sha512-crypt", ErrMalformedHash, []string{"$6$rounds=01000$salt$x", "$6$salt$short", "$6$rounds=$salt$x"}},
		{"sha512-crypt", ErrLimitExceeded, []string{
			"$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
		}},
		{"django-pbkdf2-sha256", ErrMalformedHash, []string{"pbkdf2_sha256$$salt$abc=", "pbkdf2_sha256$10000$salt", "pbkdf2_sha256$10000$salt$not base64!"}},
		{"django-pbkdf2-sha256", ErrLimitExceeded, []string{"pbkdf2_sha256$4000000000$seasalt$Ybw8zsFxqja97tY/o6G+Fy1ksY4U/Hw3DRrGED6Up4s="}},
		{"django-argon2", ErrLimitExceeded, []string{"argon2$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A"}},
		{"django-bcrypt-sha256", ErrMalformedHash, []string{"bcrypt_sha256$$2a$06$/3OeRpbOf8"}},
		{"ldap-crypt", ErrMalformedHash, []string{"{CRYPT}$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!"}},
		{"firebase-scrypt", ErrMalformedHash, []string{"$firebase-scrypt$***$abc", "$firebase-scrypt$42xEC+ixf3L2lw=="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyErrors(t, legacyTestHasher(t, tt.name, Config{Firebase: legacyFirebase()}), tt.want, tt.encoded...)
		})
	}
}

func TestLegacyRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, prefix string }{
		{"sha256-crypt", "$5$rounds=1000$"},
		{"sha512-crypt", "$6$rounds=1000$"},
		{"ldap-ssha256", "{SSHA256}"},
		{"ldap-ssha512", "{SSHA512}"},
		{"ldap-crypt", "{CRYPT}$6$rounds=1000$"},
		{"django-pbkdf2-sha256", "pbkdf2_sha256$1000$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkLegacyRoundTrip(t, legacyTestHasher(t, tt.name, Config{}), tt.prefix)
		})
	}
}

// TestLegacyKratosFailures runs the hashes that Kratos's TestCompare
// expects to fail (see kratosMD5CryptVectors): a hash of another password
// does not match, and the strings Kratos refuses are malformed. It also
// checks that each prefix is the crypt(3) algorithm it names: the same
// string under "$1$", "$5$" or "$6$" verifies with the crypt(3) hasher.
func TestLegacyKratosFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := NewRegistry("usher", Config{})
	require.NoError(t, err)

	t.Run("other passwords", func(t *testing.T) {
		t.Parallel()
		for _, v := range []legacyVector{
			{"test", "$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b."},
			{"ory", "$md5-crypt$E7zjruqF$RTglYR1CzBHwwiTk9nVzx1"},
			{"test", "$sha256-crypt$rounds=535000$awpcR7lDlnK/S7WE$vHU7KkQwyjfGz6u4MUi7.lH9htK/l63HloTsX1ZMz.3"},
			{"ory", "$sha512-crypt$rounds=656000$hNcDLFO63bkYVDZf$Mt9dhH0xqfxWZ6Pu8zXw.Ku5f15IRTweuaDcUc.ObXWGn7B1h8YIWLmArZd8psd2mrUVswCXLAVptmISr.8iI/"},
		} {
			t.Run(v.encoded, func(t *testing.T) {
				t.Parallel()
				match, rehash, err := reg.Verify(ctx, v.password, v.encoded)
				require.NoError(t, err)
				assert.False(t, match)
				assert.False(t, rehash)
			})
		}
	})

	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		for _, enc := range []string{
			"$md5-crypt$$", "$md5-crypt$$$",
			"$md5-crypt$whuMjZj.HMFoaTaZRRtkO0", // no salt field: crypt(5) requires it
			"$sha256-crypt$$", "$sha256-crypt$$$",
			"$sha512-crypt$$", "$sha512-crypt$$$",
		} {
			h, err := reg.Identify(enc)
			require.NoError(t, err, enc)
			assert.True(t, strings.HasPrefix(h.Name(), "kratos-"), enc)
			_, _, err = reg.Verify(ctx, "ory", enc)
			assert.ErrorIs(t, err, ErrMalformedHash, enc)
			assert.ErrorContains(t, err, h.Name(), "the error names the format")
		}
	})

	t.Run("limits", func(t *testing.T) {
		t.Parallel()
		_, _, err := reg.Verify(ctx, "ory", "$sha512-crypt$rounds=999999999$0baQbxBrfpKqvizk$Q9cYk1MeNAlECPgpG3jjfNI2DumLqd0yHbxzLdxiX6nsSD5i9n0awcbiCf8R5DzpIYxeBPznPcb1wtzlgUKtH0")
		assert.ErrorIs(t, err, ErrLimitExceeded)
	})

	t.Run("same algorithm as crypt(3)", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			v              legacyVector
			from, to, name string
		}{
			{kratosMD5CryptVectors[2], "$md5-crypt$", "$1$", "md5-crypt"},
			{kratosSHA256CryptVectors[1], "$sha256-crypt$", "$5$", "sha256-crypt"},
			{kratosSHA512CryptVectors[1], "$sha512-crypt$", "$6$", "sha512-crypt"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				enc := tt.to + strings.TrimPrefix(tt.v.encoded, tt.from)
				h, err := reg.Identify(enc)
				require.NoError(t, err)
				assert.Equal(t, tt.name, h.Name())
				match, _, err := h.Verify(ctx, tt.v.password, enc)
				require.NoError(t, err)
				assert.True(t, match)
			})
		}
	})
}
