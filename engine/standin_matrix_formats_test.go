package engine_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction/connector"
	"junction/engine"
)

// What the catalog matrix needs for the newer format features: real
// signing keys for JWT assertion grants and private_key_jwt clients,
// checked by the stand-in's token endpoint with the public key; file
// inputs and the multipart, multipart_related, binary and NDJSON bodies
// that carry them; and answers that are files.

// matrixJWT is a signed assertion the stand-in's token endpoint received,
// verified with the public key of the matrix's signing key.
type matrixJWT struct {
	form   url.Values
	header map[string]any
	claims jwt.MapClaims
	err    error // the signature or time check that failed
}

// verifyAssertion checks the assertion or client assertion of a token
// request as a vendor would: the signature with the public key the
// vendor holds for the client, iat and exp against the vendor's clock.
// Called with v.mu held.
func (v *matrixVendor) verifyAssertion(form url.Values) (matrixJWT, bool) {
	raw := form.Get("assertion")
	if raw == "" {
		raw = form.Get("client_assertion")
	}
	if raw == "" {
		return matrixJWT{}, false
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() == connector.SigningES256 {
			return &jwtKeyE().PublicKey, nil
		}
		return &jwtKeyA().PublicKey, nil
	}, jwt.WithValidMethods([]string{connector.SigningRS256, connector.SigningES256}), jwt.WithTimeFunc(v.now),
		jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	j := matrixJWT{form: form, claims: claims, err: err}
	if tok != nil {
		j.header = tok.Header
	}
	return j, true
}

func (v *matrixVendor) takeJWTs() []matrixJWT {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.jwts
	v.jwts = nil
	return out
}

// signsJWT reports whether the auth type signs an assertion with a key
// held in a field.
func signsJWT(a *connector.Auth) bool {
	return a.Type == connector.AuthOAuth2JWTBearer ||
		a.Type == connector.AuthOAuth2ClientCredentials && a.ClientAuth == connector.ClientAuthPrivateKeyJWT
}

// serviceAccountKeyed reports whether a JWT bearer auth type needs its key
// wrapped in a Google service-account JSON key: it declares no issuer, so
// the key's client_email must give one.
func serviceAccountKeyed(a *connector.Auth) bool {
	_, iss := a.Claims["iss"]
	return a.Type == connector.AuthOAuth2JWTBearer && !iss
}

// matrixKey is the signing key the matrix puts in a's private key field:
// the run's RSA key in PEM (the EC P-256 one when the definition asks for
// ES256), wrapped in a service-account JSON key when the definition
// relies on one, whose token_uri points at the stand-in.
func (m *matrixRun) matrixKey(a *connector.Auth) string {
	var der []byte
	var err error
	if a.SigningAlg == connector.SigningES256 {
		der, err = x509.MarshalPKCS8PrivateKey(jwtKeyE())
	} else {
		der, err = x509.MarshalPKCS8PrivateKey(jwtKeyA())
	}
	if err != nil {
		m.t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for _, p := range keyPlants(pemKey) {
		m.planted.Store(p.Reveal(), true)
	}
	if !serviceAccountKeyed(a) {
		return pemKey
	}
	kid := "matrix-kid-" + m.key
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "acme-matrix", "private_key_id": kid, "private_key": pemKey,
		"client_email": m.serviceAccountEmail(), "token_uri": m.srv.URL + "/" + m.key + "/oauth2.example.com/token",
	})
	if err != nil {
		m.t.Fatal(err)
	}
	m.planted.Store(string(b), true)
	return string(b)
}

func (m *matrixRun) serviceAccountEmail() string {
	return "junction@" + m.key + "-matrix.iam.gserviceaccount.com"
}

// tokenURL is where the auth type's token requests go: the definition's
// token URL, or a service-account key's token_uri.
func (m *matrixRun) tokenURL(a *connector.Auth, values map[string]string) string {
	if a.TokenURL == "" && serviceAccountKeyed(a) {
		return m.srv.URL + "/" + m.key + "/oauth2.example.com/token"
	}
	return fill(a.TokenURL, values)
}

// checkAssertion checks the signed JWT of a jwt-bearer grant or a
// private_key_jwt client assertion: a valid signature, the algorithm the
// key calls for, the kid, and the claims the definition declares or
// implies.
func (m *matrixRun) checkAssertion(a *connector.Auth, values map[string]string) {
	t := m.t
	jwts := m.v.takeJWTs()
	if len(jwts) == 0 {
		t.Errorf("%s: the token request carried no signed assertion", a.Key())
		return
	}
	j := jwts[0]
	if j.err != nil {
		t.Errorf("%s: the assertion does not verify with the key's public key: %v", a.Key(), j.err)
		return
	}
	m.counts.mu.Lock()
	m.counts.jwts++
	m.counts.mu.Unlock()
	wantAlg := or(a.SigningAlg, connector.SigningRS256)
	if j.header["alg"] != wantAlg {
		t.Errorf("%s: assertion alg %v, want %s", a.Key(), j.header["alg"], wantAlg)
	}
	wantKID := fill(a.KeyID, values)
	if wantKID == "" && serviceAccountKeyed(a) {
		wantKID = "matrix-kid-" + m.key
	}
	if kid, _ := j.header["kid"].(string); kid != wantKID {
		t.Errorf("%s: assertion kid %q, want %q", a.Key(), kid, wantKID)
	}
	want := map[string]string{"aud": m.tokenURL(a, values)}
	iat, err1 := j.claims.GetIssuedAt()
	exp, err2 := j.claims.GetExpirationTime()
	if err1 != nil || err2 != nil || iat == nil || exp == nil || exp.Sub(iat.Time) > time.Hour || exp.Sub(iat.Time) <= 0 {
		t.Errorf("%s: assertion iat %v, exp %v: want exp at most an hour after iat", a.Key(), iat, exp)
	}
	form := j.form
	if a.Type == connector.AuthOAuth2JWTBearer {
		if form.Get("grant_type") != connector.GrantTypeJWTBearer {
			t.Errorf("%s: token request grant_type %q, want %s", a.Key(), form.Get("grant_type"), connector.GrantTypeJWTBearer)
		}
		if form.Has("client_secret") || form.Has("client_assertion") {
			t.Errorf("%s: a jwt-bearer grant with client credentials: %v", a.Key(), sortedKeys(form))
		}
		if serviceAccountKeyed(a) {
			want["iss"] = m.serviceAccountEmail()
		}
		if scopes := m.scopes(a, values); scopes != "" {
			want["scope"] = scopes
		}
	} else {
		if form.Get("client_assertion_type") != connector.ClientAssertionJWTBearer {
			t.Errorf("%s: client_assertion_type %q", a.Key(), form.Get("client_assertion_type"))
		}
		if form.Has("client_secret") {
			t.Errorf("%s: a private_key_jwt client sent a client secret", a.Key())
		}
		if jti, _ := j.claims["jti"].(string); jti == "" {
			t.Errorf("%s: a client assertion without a jti", a.Key())
		}
		id := fill(a.ClientID, values)
		want["iss"], want["sub"] = id, id
	}
	for k, tmpl := range a.Claims {
		if v, ok := filled(tmpl, values); ok {
			want[k] = v
		} else if _, has := j.claims[k]; has {
			t.Errorf("%s: the claim %s names an empty field but was sent", a.Key(), k)
		}
	}
	for k, v := range want {
		if got, _ := j.claims[k].(string); got != v {
			t.Errorf("%s: assertion claim %s %q, want %q", a.Key(), k, got, v)
		}
	}
	// The assertion is a bearer credential for its lifetime: it must be
	// found nowhere either.
	raw := form.Get("assertion") + form.Get("client_assertion")
	m.planted.Store(raw, true)
}

// fileInput is the value the matrix gives a file input: bytes that name
// the input, so that where they went can be told, and for an input that
// takes a list, two such files.
func fileInput(in connector.Input, every bool) any {
	one := func(i int) map[string]any {
		return map[string]any{
			"content":      base64.StdEncoding.EncodeToString(matrixFileBytes(in.Name, i)),
			"filename":     fmt.Sprintf("%s-%d.txt", in.Name, i),
			"content_type": "text/plain",
		}
	}
	if every && strings.Contains(in.Description, "list") {
		return []any{one(1), one(2)}
	}
	return one(1)
}

func matrixFileBytes(name string, i int) []byte {
	return []byte(fmt.Sprintf("matrix file %s %d\x00\xff bytes", name, i))
}

// withFiles gives every file input in input the matrix's file value.
func withFiles(ins []connector.Input, input map[string]any, every bool) map[string]any {
	for _, in := range ins {
		if _, ok := input[in.Name]; ok && in.Type == connector.TypeFile {
			input[in.Name] = fileInput(in, every)
		}
	}
	return input
}

// givenFiles are the files an input was given.
func givenFiles(v any) [][]byte {
	var out [][]byte
	add := func(e any) {
		if m, ok := e.(map[string]any); ok {
			b, _ := base64.StdEncoding.DecodeString(fmt.Sprint(m["content"]))
			out = append(out, b)
		}
	}
	if list, ok := v.([]any); ok {
		for _, e := range list {
			add(e)
		}
	} else {
		add(v)
	}
	return out
}

// matrixPart is one part of a multipart body.
type matrixPart struct {
	name, filename, contentType string
	body                        []byte
}

// parts reads a multipart body.
func parts(contentType string, body []byte) ([]matrixPart, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("Content-Type %q is not multipart with a boundary", contentType)
	}
	var out []matrixPart
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		out = append(out, matrixPart{name: p.FormName(), filename: p.FileName(), contentType: p.Header.Get("Content-Type"), body: b})
	}
}

// checkEncodedBody checks a body of the operation's non-JSON encodings and
// reports whether it did: multipart with a part for each body input and
// each file's bytes in a file part of its name, multipart_related with a
// JSON part and then the file, binary that is the file's bytes alone,
// NDJSON whose every line is JSON.
func (m *matrixRun) checkEncodedBody(name string, op *connector.Operation, input map[string]any, r matrixRequest) bool {
	t := m.t
	ct := r.header.Get("Content-Type")
	files := 0
	switch op.BodyEncoding {
	case connector.BodyMultipart:
		ps, err := parts(ct, r.body)
		if err != nil {
			t.Errorf("%s: the multipart body: %v", name, err)
			return true
		}
		names := map[string]bool{}
		for _, p := range ps {
			names[p.name] = true
		}
		for _, in := range op.Inputs {
			v, given := input[in.Name]
			if !given || in.In != "" && in.In != "body" || strings.Contains(op.Path, "{"+in.Name+"}") {
				continue
			}
			if in.Type != connector.TypeFile {
				if op.Body != nil && bodyNames(op.Body, in.Name) {
					continue // placed by the template; its value is checked on the wire
				}
				if !names[in.WireName()] {
					t.Errorf("%s: the input %s has no part %s", name, in.Name, in.WireName())
				}
				continue
			}
			for i, want := range givenFiles(v) {
				found := false
				for _, p := range ps {
					if p.name == in.WireName() && bytes.Equal(p.body, want) && p.filename == fmt.Sprintf("%s-%d.txt", in.Name, i+1) && p.contentType == "text/plain" {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: the file %s (%d) is not a part %s with its name, type and bytes", name, in.Name, i+1, in.WireName())
				}
				files++
			}
		}
	case connector.BodyMultipartRelated:
		ps, err := parts(ct, r.body)
		if err != nil || !strings.HasPrefix(ct, "multipart/related") {
			t.Errorf("%s: the multipart/related body (%s): %v", name, ct, err)
			return true
		}
		if len(ps) != 2 || !strings.HasPrefix(ps[0].contentType, "application/json") || !json.Valid(ps[0].body) {
			t.Errorf("%s: the multipart/related body is not a JSON part and a file part: %d parts", name, len(ps))
			return true
		}
		var meta map[string]any
		_ = json.Unmarshal(ps[0].body, &meta)
		for _, in := range op.Inputs {
			v, given := input[in.Name]
			if !given || in.In != "" && in.In != "body" || strings.Contains(op.Path, "{"+in.Name+"}") {
				continue
			}
			if in.Type != connector.TypeFile {
				if _, ok := meta[in.WireName()]; !ok && !(op.Body != nil && bodyNames(op.Body, in.Name)) {
					t.Errorf("%s: the input %s is not in the JSON part", name, in.Name)
				}
				continue
			}
			for _, want := range givenFiles(v) {
				if !bytes.Equal(ps[1].body, want) || ps[1].contentType != "text/plain" {
					t.Errorf("%s: the file part is not the file %s with its type", name, in.Name)
				}
				files++
			}
		}
	case connector.BodyBinary:
		for _, in := range op.Inputs {
			if v, given := input[in.Name]; given && in.Type == connector.TypeFile {
				for _, want := range givenFiles(v) {
					if !bytes.Equal(r.body, want) {
						t.Errorf("%s: the binary body is not the file %s's bytes alone", name, in.Name)
					}
					files++
				}
			}
		}
	case connector.BodyNDJSON:
		if len(r.body) > 0 && !bytes.HasSuffix(r.body, []byte("\n")) {
			t.Errorf("%s: an NDJSON body that does not end its last line", name)
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(r.body, []byte("\n")), []byte("\n")) {
			if !json.Valid(line) {
				t.Errorf("%s: NDJSON line %d is not JSON: %s", name, i+1, line)
			}
		}
	default:
		return false
	}
	m.counts.mu.Lock()
	m.counts.files += files
	m.counts.encoded++
	m.counts.mu.Unlock()
	return true
}

// inJSONHeader reports whether the operation's JSON headers name the
// input, and checks that such a header is JSON holding its value.
func (m *matrixRun) inJSONHeader(name string, op *connector.Operation, in connector.Input, input map[string]any, r matrixRequest) bool {
	for h, tmpl := range op.JSONHeaders {
		if !bodyNames(tmpl, in.Name) {
			continue
		}
		var doc any
		if err := json.Unmarshal([]byte(r.header.Get(h)), &doc); err != nil {
			m.t.Errorf("%s: the header %s is not JSON: %v", name, h, err)
			return true
		}
		if s, ok := input[in.Name].(string); ok && !strings.Contains(r.header.Get(h), s) {
			m.t.Errorf("%s: the input %s is not in the header %s", name, in.Name, h)
		}
		return true
	}
	return false
}

// matrixDownload is what the stand-in answers an operation whose answer is
// a file: bytes that are no JSON, a type, and, when named, a
// Content-Disposition.
var matrixDownload = []byte("%PDF-1.7 matrix download \x00\xff")

// checkDownload checks what an operation with output_file returned: the
// served bytes as a file, named by Content-Disposition or else by the
// operation's filename template, and that the request accepted any type.
func (m *matrixRun) checkDownload(name string, op *connector.Operation, input map[string]any, disposition string, res *engine.Result, r matrixRequest) {
	t := m.t
	if _, set := op.Headers["Accept"]; !set && r.header.Get("Accept") != "*/*" {
		t.Errorf("%s: a download that accepts %q, not */*", name, r.header.Get("Accept"))
	}
	if res == nil {
		return
	}
	f, ok := res.Output.(*connector.File)
	if !ok {
		t.Errorf("%s: the output is %T, not a file", name, res.Output)
		return
	}
	want := disposition
	if want == "" && op.OutputFile.Filename != "" {
		vals := map[string]string{}
		for _, in := range op.Inputs {
			if in.Default != nil {
				vals[in.Name] = fmt.Sprint(in.Default)
			}
		}
		for k, v := range input {
			vals[k] = fmt.Sprint(v)
		}
		want = path.Base(fill(op.OutputFile.Filename, vals))
	}
	if !bytes.Equal(f.Content, matrixDownload) || f.ContentType != "application/pdf" || f.Filename != want {
		t.Errorf("%s: the file %q (%s, %d bytes), want %q (application/pdf, %d bytes)", name, f.Filename, f.ContentType, len(f.Content), want, len(matrixDownload))
	}
	m.counts.mu.Lock()
	m.counts.downloads++
	m.counts.mu.Unlock()
}

// checkJWTBearer checks the token request of a jwt-bearer grant: the
// assertion and the grant type (checked with the assertion), and the
// definition's token parameters, with no client secret.
func (m *matrixRun) checkJWTBearer(a *connector.Auth, values map[string]string) {
	t := m.t
	forms := m.v.takeTokens()
	if len(forms) == 0 {
		t.Errorf("%s: the token endpoint %s was not called", a.Key(), m.tokenURL(a, values))
		return
	}
	form := forms[0]
	if !form.Has("assertion") {
		t.Errorf("%s: a jwt-bearer token request without an assertion: %v", a.Key(), sortedKeys(form))
	}
	for k, tmpl := range a.TokenParams {
		if v, ok := filled(tmpl, values); ok && form.Get(k) != v {
			t.Errorf("%s: token request %s %q, want %q", a.Key(), k, form.Get(k), v)
		}
	}
}

// checkOpHeaders checks the operation's fixed headers, filled from the
// inputs and fields: a binary body's declared Content-Type (Dropbox's
// application/octet-stream) must win over the file's own.
func (m *matrixRun) checkOpHeaders(name string, op *connector.Operation, input map[string]any, r matrixRequest) {
	vals := maps.Clone(m.values)
	for k, v := range input {
		if s, ok := v.(string); ok {
			vals[k] = s
		}
	}
	for k, tmpl := range op.Headers {
		if v, ok := filled(tmpl, vals); ok && r.header.Get(k) != v {
			m.t.Errorf("%s: header %s %q, want %q", name, k, r.header.Get(k), v)
		}
	}
}
