package connector

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
)

// Grant and assertion types of RFC 7523.
const (
	GrantTypeJWTBearer       = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	ClientAssertionJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// Assertion lifetimes: Google and DocuSign accept at most an hour for the
// grant's assertion. A client assertion is used at once, so it lives just
// long enough to cross a skewed clock.
const (
	grantAssertionLifetime  = time.Hour
	clientAssertionLifetime = 5 * time.Minute
)

// Signing algorithms an assertion may use.
const (
	SigningRS256 = "RS256"
	SigningES256 = "ES256"
)

// JWTAssertion is what signs the JWT of an oauth2_jwt_bearer grant or of a
// private_key_jwt client assertion, with every template filled. Key stays a
// Secret (the PEM key, or the service-account JSON key holding it) and is
// parsed again each time a JWT is signed, once an hour or so, so the parsed
// private key is never kept where it could be printed.
type JWTAssertion struct {
	Key      junction.Secret
	Alg      string
	KeyID    string
	Claims   map[string]string
	Lifetime time.Duration
	// ClientAssertion marks a private_key_jwt client assertion (RFC 7523
	// section 2.2), which carries a fresh jti each time.
	ClientAssertion bool
	// KeyField is where errors about the key point: the connection field
	// that holds it.
	KeyField string
}

// serviceAccountKey is the part of a Google service-account JSON key that
// Junction uses.
type serviceAccountKey struct {
	Type         string `json:"type"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// keyFile is a signing key as a connection holds it, read only as far as
// its PEM block and what a service-account key says about itself: parsing
// the key (RSA validation is most of a millisecond) waits until a JWT is
// signed, not every time a connection's settings are filled.
type keyFile struct {
	block       *pem.Block
	keyID       string // the service-account key's private_key_id
	clientEmail string
	tokenURI    string
}

// errBadKey is the one message for a key that cannot be read: it says what
// was expected and nothing of what was given.
var errBadKey = errors.New("is not a PEM private key (RSA or EC, unencrypted) or a Google service-account JSON key")

// readKeyFile reads a PEM private key or a Google service-account JSON
// key. Errors never quote the value.
func readKeyFile(v string) (*keyFile, error) {
	v = strings.TrimSpace(v)
	out := &keyFile{}
	if strings.HasPrefix(v, "{") {
		var sa serviceAccountKey
		if err := json.Unmarshal([]byte(v), &sa); err != nil || sa.PrivateKey == "" {
			return nil, errBadKey
		}
		out.keyID, out.clientEmail, out.tokenURI = sa.PrivateKeyID, sa.ClientEmail, sa.TokenURI
		v = sa.PrivateKey
	}
	if !strings.Contains(v, "\n") && strings.Contains(v, `\n`) {
		// A PEM key pasted with its line breaks escaped, as in a .env file.
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(v))
	if block == nil {
		block = flatPEM(v)
	}
	if block == nil {
		return nil, errBadKey
	}
	switch block.Type {
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY":
	default:
		return nil, errBadKey
	}
	out.block = block
	return out, nil
}

// signer parses the key; the DER bytes are cleared once it is parsed.
func (k *keyFile) signer() (crypto.Signer, error) {
	defer clear(k.block.Bytes)
	var (
		key any
		err error
	)
	switch k.block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(k.block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(k.block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(k.block.Bytes)
	}
	if err != nil {
		return nil, errBadKey
	}
	switch key := key.(type) {
	case *rsa.PrivateKey:
		return key, nil
	case *ecdsa.PrivateKey:
		return key, nil
	}
	return nil, errBadKey
}

// flatPEMRE matches a PEM block whose line breaks were lost or turned
// into spaces, as pasting into a one-line password input does.
var flatPEMRE = regexp.MustCompile(`^-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\s]+)-----END ([A-Z ]+)-----$`)

// flatPEM decodes such a block, or returns nil.
func flatPEM(v string) *pem.Block {
	m := flatPEMRE.FindStringSubmatch(v)
	if m == nil || m[1] != m[3] {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(m[2]), ""))
	if err != nil {
		return nil
	}
	return &pem.Block{Type: m[1], Bytes: der}
}

// signingMethod checks that the key suits the algorithm; without one, the
// key's type decides: RS256 for RSA, ES256 for EC.
func signingMethod(alg string, k crypto.Signer) (jwt.SigningMethod, error) {
	if alg == "" {
		alg = SigningRS256
		if _, ok := k.(*ecdsa.PrivateKey); ok {
			alg = SigningES256
		}
	}
	switch alg {
	case SigningRS256:
		if rk, ok := k.(*rsa.PrivateKey); ok && rk.N.BitLen() >= 2048 {
			return jwt.SigningMethodRS256, nil
		}
		return nil, errors.New("must be an RSA private key of at least 2048 bits for RS256")
	case SigningES256:
		if ek, ok := k.(*ecdsa.PrivateKey); ok && ek.Curve == elliptic.P256() {
			return jwt.SigningMethodES256, nil
		}
		return nil, errors.New("must be an EC private key on the P-256 curve for ES256")
	}
	return nil, errors.New("signing_alg must be RS256 or ES256")
}

// Sign returns the signed assertion, issued at now. The JWT is a bearer
// credential for its lifetime, so it is returned as a Secret.
//
// Errors: EINVALID naming KeyField when the key cannot be parsed or does
// not suit the algorithm.
func (a *JWTAssertion) Sign(now time.Time) (junction.Secret, error) {
	field := a.KeyField
	if field == "" {
		field = "auth.private_key"
	}
	kf, err := readKeyFile(a.Key.Reveal())
	if err != nil {
		return junction.Secret{}, junction.Invalid(field, "%s", err.Error())
	}
	signer, err := kf.signer()
	if err != nil {
		return junction.Secret{}, junction.Invalid(field, "%s", err.Error())
	}
	method, err := signingMethod(a.Alg, signer)
	if err != nil {
		return junction.Secret{}, junction.Invalid(field, "%s", err.Error())
	}
	claims := jwt.MapClaims{}
	for name, v := range a.Claims {
		claims[name] = v
	}
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(a.Lifetime).Unix()
	if a.ClientAssertion {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return junction.Secret{}, junction.Internal(err)
		}
		claims["jti"] = base64.RawURLEncoding.EncodeToString(b)
	}
	tok := jwt.NewWithClaims(method, claims)
	if a.KeyID != "" {
		tok.Header["kid"] = a.KeyID
	}
	s, err := tok.SignedString(signer)
	if err != nil {
		return junction.Secret{}, junction.Internal(errors.New("sign the JWT assertion"))
	}
	return junction.NewSecret(s), nil
}

// Fingerprint is what tells two assertions apart for caching: everything
// but the time, hashed by the caller. It holds the key, so it must not be
// kept or printed as is.
func (a *JWTAssertion) Fingerprint() []string {
	out := []string{a.Key.Reveal(), a.Alg, a.KeyID}
	for _, k := range sortedKeys(a.Claims) {
		out = append(out, k+"="+a.Claims[k])
	}
	return out
}

// assertion fills the JWT settings of scheme a for s, whose token URL and
// client ID are already filled. A service-account key supplies the token
// URL when the definition names none.
func (c *connection) assertion(a *Auth, s *OAuth2Settings) (*JWTAssertion, error) {
	keyField := fieldOf(a.PrivateKey, "auth.private_key")
	raw, _ := fillTemplate(a.PrivateKey, c.value)
	if raw == "" {
		return nil, junction.Invalid(keyField, "is required")
	}
	k, err := readKeyFile(raw)
	if err != nil {
		return nil, junction.Invalid(keyField, "%s", err.Error())
	}
	j := &JWTAssertion{Key: junction.NewSecret(raw), Alg: a.SigningAlg, Claims: map[string]string{}, KeyField: keyField}
	j.KeyID, _ = fillTemplate(a.KeyID, c.public)
	if j.KeyID == "" {
		j.KeyID = k.keyID
	}
	if s.TokenURL == "" && k.tokenURI != "" {
		if !isHTTPSURL(k.tokenURI) {
			return nil, junction.Invalid(keyField, "the key's token_uri must be an https URL")
		}
		s.TokenURL = k.tokenURI
	}
	if s.TokenURL == "" {
		return nil, junction.Invalid("auth.token_url", "is required")
	}
	if a.Type == AuthOAuth2JWTBearer {
		j.Lifetime = grantAssertionLifetime
		if k.clientEmail != "" {
			j.Claims["iss"] = k.clientEmail
		}
		if len(s.Scopes) > 0 {
			j.Claims["scope"] = strings.Join(s.Scopes, " ")
		}
	} else {
		j.Lifetime = clientAssertionLifetime
		j.ClientAssertion = true
		j.Claims["iss"] = s.ClientID
		j.Claims["sub"] = s.ClientID
	}
	j.Claims["aud"] = s.TokenURL
	for name, t := range a.Claims {
		if v, missing := fillTemplate(t, c.public); len(missing) == 0 {
			j.Claims[name] = v
		}
	}
	if j.Claims["iss"] == "" {
		return nil, junction.Invalid(keyField, "the assertion has no issuer: declare the iss claim or use a service-account key")
	}
	return j, nil
}
