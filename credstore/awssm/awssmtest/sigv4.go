package awssmtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature Version 4, computed here from AWS's published algorithm rather
// than with the SDK's signer, so a request the SDK signs wrongly is refused
// instead of being checked against the same mistake.

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// maxSkew is how far a request's X-Amz-Date may be from the server's
	// clock before AWS calls the signature expired.
	maxSkew = 5 * time.Minute
)

// authorization is the parsed Authorization header.
type authorization struct {
	accessKeyID, date, region, service string
	signedHeaders                      []string
	signature                          string
}

func parseAuthorization(h string) (authorization, *apiError) {
	var a authorization
	algo, rest, _ := strings.Cut(h, " ")
	if algo != sigAlgorithm {
		return a, incompleteSignature(fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", algo))
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return a, incompleteSignature(fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return a, incompleteSignature("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	a.accessKeyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	a.signature = fields["Signature"]
	return a, nil
}

// verifySignature checks r, whose body is body, against the server's key
// pair and clock, for service (the signing name: "secretsmanager", "kms").
func (s *Server) verifySignature(r *http.Request, body []byte, now time.Time, service string) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiError{status: http.StatusBadRequest, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	}
	a, aerr := parseAuthorization(h)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	rejected, sessionToken := s.rejectKey, s.sessionToken
	s.mu.Unlock()
	if a.accessKeyID != AccessKeyID || rejected {
		return unrecognizedClient()
	}
	if got := r.Header.Get("X-Amz-Security-Token"); subtle.ConstantTimeCompare([]byte(got), []byte(sessionToken)) != 1 {
		return unrecognizedClient()
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	switch {
	case a.date != amzDate[:8]:
		return invalidSignature(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.date, amzDate[:8], amzDate))
	case a.region != Region:
		return invalidSignature("Credential should be scoped to a valid region.")
	case a.service != service:
		return invalidSignature(fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service))
	case signedAt.Before(now.Add(-maxSkew)):
		return invalidSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-maxSkew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat)))
	case signedAt.After(now.Add(maxSkew)):
		return invalidSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(maxSkew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat)))
	case !sort.StringsAreSorted(a.signedHeaders) || !slices.Contains(a.signedHeaders, "host") || !slices.Contains(a.signedHeaders, "x-amz-date"):
		return invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	if sessionToken != "" && !slices.Contains(a.signedHeaders, "x-amz-security-token") {
		return invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}

	want := signature(SecretAccessKey, amzDate, a.region, a.service, canonicalRequest(r, a.signedHeaders, body))
	got, err := hex.DecodeString(a.signature)
	if err != nil || !hmac.Equal(got, want) {
		return invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

// signature signs a canonical request: the string to sign is the algorithm,
// the request time, the credential scope and the canonical request's hash;
// the key is derived from the secret key by HMAC over date, region, service
// and "aws4_request".
func signature(secretKey, amzDate, region, service, canonical string) []byte {
	date := amzDate[:8]
	scope := strings.Join([]string{date, region, service, "aws4_request"}, "/")
	stringToSign := strings.Join([]string{sigAlgorithm, amzDate, scope, hexSHA256([]byte(canonical))}, "\n")
	key := hmacSHA256([]byte("AWS4"+secretKey), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	return hmacSHA256(key, stringToSign)
}

// canonicalRequest is SigV4's CanonicalRequest: method, canonical URI,
// canonical query string, canonical headers, signed headers and the hex
// SHA-256 of the payload, one per line.
func canonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(canonicalURI(r.URL) + "\n")
	b.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + headerValue(r, name) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(strings.Join(signed, ";") + "\n")
	b.WriteString(hexSHA256(body))
	return b.String()
}

// canonicalURI encodes each segment of the (already escaped) path once
// more, as every service but S3 expects.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// headerValue is a header's canonical value: its values trimmed, inner runs
// of spaces collapsed, joined by commas. The Go server moves Host out of the
// header map, and may do so with Content-Length.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// uriEncode percent-encodes everything but RFC 3986's unreserved characters.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func unrecognizedClient() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "UnrecognizedClientException", msg: "The security token included in the request is invalid."}
}

func invalidSignature(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidSignatureException", msg: msg}
}

func incompleteSignature(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "IncompleteSignatureException", msg: msg}
}
