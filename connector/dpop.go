package connector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
)

// DPoP (RFC 9449) names: the token type of a bound token, the proof's
// header and JWT type, and the error that asks for a server nonce.
const (
	TokenTypeDPoP     = "DPoP"
	DPoPHeader        = "DPoP"
	DPoPNonceHeader   = "DPoP-Nonce"
	dpopJWTType       = "dpop+jwt"
	ErrorUseDPoPNonce = "use_dpop_nonce"
	useDPoPNonceParam = `error="use_dpop_nonce"`
)

// DPoPKey is the key pair a connection's DPoP-bound tokens are bound to:
// ECDSA on P-256, proofs signed ES256. The private key never leaves it
// except as MarshalPKCS8's bytes, which the caller seals; it prints as
// [redacted] everywhere.
type DPoPKey struct {
	k *ecdsa.PrivateKey
}

var (
	_ fmt.Formatter  = (*DPoPKey)(nil)
	_ fmt.GoStringer = (*DPoPKey)(nil)
	_ slog.LogValuer = (*DPoPKey)(nil)
	_ json.Marshaler = (*DPoPKey)(nil)
)

func (*DPoPKey) String() string               { return junction.Redacted }
func (*DPoPKey) GoString() string             { return junction.Redacted }
func (*DPoPKey) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(junction.Redacted)) }
func (*DPoPKey) MarshalJSON() ([]byte, error) { return json.Marshal(junction.Redacted) }
func (*DPoPKey) LogValue() slog.Value         { return slog.StringValue(junction.Redacted) }

// NewDPoPKey makes a fresh key pair.
func NewDPoPKey() (*DPoPKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("make DPoP key: %w", err))
	}
	return &DPoPKey{k: k}, nil
}

// ParseDPoPKey reads a key kept with MarshalPKCS8. Errors never quote it.
func ParseDPoPKey(der []byte) (*DPoPKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("the DPoP key is not a PKCS #8 private key")
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, errors.New("the DPoP key is not an EC P-256 key")
	}
	return &DPoPKey{k: k}, nil
}

// MarshalPKCS8 returns the private key, DER-encoded, for sealing. The
// caller clears the bytes once sealed.
func (k *DPoPKey) MarshalPKCS8() ([]byte, error) {
	b, err := x509.MarshalPKCS8PrivateKey(k.k)
	if err != nil {
		return nil, junction.Internal(errors.New("encode DPoP key"))
	}
	return b, nil
}

// PublicJWK is the public key as the proof's jwk header carries it.
func (k *DPoPKey) PublicJWK() map[string]any {
	pub, err := k.k.PublicKey.ECDH()
	if err != nil { // a P-256 key always converts
		panic(err)
	}
	b := pub.Bytes() // 0x04 || X || Y
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": enc(b[1:33]), "y": enc(b[33:])}
}

// DPoPTarget is a proof's htu for u: the URL without query and fragment.
func DPoPTarget(u *url.URL) string {
	t := *u
	t.User, t.RawQuery, t.ForceQuery, t.Fragment, t.RawFragment = nil, "", false, "", ""
	return t.String()
}

// DPoPOrigin is where a server's nonce applies: scheme and host of u.
func DPoPOrigin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// AccessTokenHash is a proof's ath: the base64url SHA-256 of the token.
func AccessTokenHash(access junction.Secret) string {
	h := sha256.Sum256([]byte(access.Reveal()))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Proof signs a DPoP proof for one request (RFC 9449 section 4.2): method
// and URL of the request, issued at now, with a fresh jti, the server's
// nonce when it gave one, and, when access is set (a request to a
// resource server), the token's hash. The proof names the token's hash,
// never the token.
func (k *DPoPKey) Proof(method string, u *url.URL, now time.Time, nonce string, access junction.Secret) (string, error) {
	jti := make([]byte, 18)
	if _, err := rand.Read(jti); err != nil {
		return "", junction.Internal(err)
	}
	claims := jwt.MapClaims{
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": method,
		"htu": DPoPTarget(u),
		"iat": now.Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if !access.IsZero() {
		claims["ath"] = AccessTokenHash(access)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["typ"] = dpopJWTType
	tok.Header["jwk"] = k.PublicJWK()
	s, err := tok.SignedString(k.k)
	if err != nil {
		return "", junction.Internal(errors.New("sign the DPoP proof"))
	}
	return s, nil
}

// DPoPNonceChallenge reports the nonce a resource server asks proofs to
// carry (RFC 9449 section 9): a 401 whose WWW-Authenticate is a DPoP
// challenge with error="use_dpop_nonce", and a DPoP-Nonce header.
func DPoPNonceChallenge(status int, h http.Header) (string, bool) {
	nonce := h.Get(DPoPNonceHeader)
	if status != http.StatusUnauthorized || nonce == "" {
		return "", false
	}
	for _, c := range h.Values("WWW-Authenticate") {
		if len(c) > 5 && strings.EqualFold(c[:5], "DPoP ") && strings.Contains(c, useDPoPNonceParam) {
			return nonce, true
		}
	}
	return "", false
}
