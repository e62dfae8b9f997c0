package app

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"junction"
)

// Password rules: long enough to resist guessing, short enough that
// hashing one cannot be used to load the server, and not the user's name.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// argon2id parameters: the second recommended set of RFC 9106 scaled to
// what a login may cost on a small server (19 MiB, two passes, one lane,
// as OWASP recommends). They are encoded in every hash, so raising them
// later leaves old hashes verifiable.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// checkPassword applies the password rules for the user named name.
func checkPassword(field string, pw junction.Secret, name string) error {
	v := pw.Reveal()
	n := utf8.RuneCountInString(v)
	switch {
	case n < MinPasswordLen:
		return junction.Invalid(field, "must be at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return junction.Invalid(field, "must be at most %d characters", MaxPasswordLen)
	case !utf8.ValidString(v):
		return junction.Invalid(field, "must be valid UTF-8")
	case name != "" && strings.Contains(strings.ToLower(v), strings.ToLower(name)):
		return junction.Invalid(field, "must not contain the user name")
	}
	return nil
}

// hashPassword returns the PHC-style encoding of an argon2id hash of pw
// with a fresh salt: $argon2id$v=19$m=...,t=...,p=...$salt$key.
func hashPassword(pw junction.Secret) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // never fails; see crypto/rand.Read
	key := argon2.IDKey([]byte(pw.Reveal()), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is verified against when a user does not exist or has no
// password, so that answering takes as long as for a real one.
var dummyHash = hashPassword(junction.NewSecret("not a password anyone has"))

// verifyPassword tells whether pw matches the encoded hash. A malformed
// or empty hash matches nothing, and still costs one hashing.
func verifyPassword(encoded string, pw junction.Secret) bool {
	var version int
	var mem, t uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads)
		ok = err1 == nil && err2 == nil && version == argon2.Version &&
			mem >= 8 && mem <= 1<<20 && t >= 1 && t <= 10 && threads >= 1
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) >= 16 && len(want) <= 64
	}
	if !ok {
		verifyPassword(dummyHash, pw)
		return false
	}
	got := argon2.IDKey([]byte(pw.Reveal()), salt, t, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
