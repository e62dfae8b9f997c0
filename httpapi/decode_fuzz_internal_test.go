package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction"
)

// FuzzDecode sends arbitrary bodies to the strict body decoder, as each of
// a few request types, with a known length or chunked. It must answer nil
// or one of its documented problems, never panic, and never quote a value
// of the body back: bodies carry secrets, and the problem reaches the
// client, the log and the audit.
func FuzzDecode(f *testing.F) {
	specs, _ := filepath.Glob(filepath.Join("testdata", "specs", "*.json"))
	for _, name := range specs {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), true, b)
		f.Add(uint8(5), false, b)
	}
	for i, body := range []string{
		`{"folder_id":"01a2","connector":"http","name":"api","auth_type":"bearer","fields":{"base_url":"https://api.example.com","token":{"asset_id":"01a3"}}}`,
		`{"name":"corp","type":"hashicorp-vault","config":{"address":"https://vault:8200","secret_id":"s3cr3t-secret-id"}}`,
		`{"folder_id":"f","name":"pw","type":"credential","username":"u","password":"hunter2-hunter2"}`,
		`{"folder_id":"f","connection_id":"c","object":"event","event":"received","filter":"record.a == 1","target":{"type":"queue","name":"q"}}`,
		`{"display_name":"Ann","roles":["Viewer"],"disabled":false}`,
		`{"queue":"orders","wait_seconds":30,"lease_seconds":60}`,
		`{"result":{"ok":true}}`,
		`{"password":123456789012}`,
		`{"config":{"secret_id":98765432109876}}`,
		`{"wait_seconds":1e400}`,
		`{"roles":"Viewer"}`,
		`{"name":"a"} {"name":"b"}`,
		`{"name":"a"`,
		`[]`,
		`null`,
		``,
	} {
		f.Add(uint8(i), i%2 == 0, []byte(body))
	}
	s := &Server{opts: Options{MaxBodyBytes: 64 << 10}}
	f.Fuzz(func(t *testing.T, kind uint8, sized bool, body []byte) {
		targets := []func() any{
			func() any { return &createConnectionRequest{} },
			func() any { return &createCredentialStoreRequest{} },
			func() any { return &createAssetRequest{} },
			func() any { return &createTriggerRequest{} },
			func() any { return &updateUserRequest{} },
			func() any { return &claimJobRequest{} },
			func() any { return &completeJobRequest{} },
			func() any { return &map[string]any{} },
		}
		v := targets[int(kind)%len(targets)]()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if !sized {
			r.ContentLength = -1
		}
		err := s.decode(httptest.NewRecorder(), r, v)
		if err == nil {
			return
		}
		var e *junction.Error
		if !errors.As(err, &e) {
			t.Fatalf("decode: %T %v, want a *junction.Error", err, err)
		}
		switch e.Code {
		case junction.EBADJSON, junction.EINVALID, junction.ETOOLARGE:
		default:
			t.Fatalf("decode: code %q (%v)", e.Code, err)
		}
		msg := junction.ErrorMessage(err) + " " + e.Field
		for _, lit := range valueLiterals(body) {
			if strings.Contains(msg, lit) {
				t.Fatalf("the problem %q quotes %q from the body", msg, lit)
			}
		}
	})
}

// valueLiterals returns the strings and numbers of a JSON body that are
// values, not member names, and long enough that finding one in a message
// is no coincidence. It reads as far as the body is valid.
func valueLiterals(body []byte) []string {
	type frame struct{ object, wantKey bool }
	var (
		stack []frame
		vals  []string
		keys  = map[string]bool{}
	)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				keys[k] = true
			}
			stack[n-1].wantKey = false
			continue
		}
		switch x := tok.(type) {
		case json.Delim:
			stack = append(stack, frame{object: x == '{', wantKey: x == '{'})
			continue
		case string:
			vals = append(vals, x)
		case json.Number:
			vals = append(vals, x.String())
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	var out []string
next:
	for _, v := range vals {
		if len(v) < 8 {
			continue
		}
		// Member names are named back on purpose (an unknown field).
		for k := range keys {
			if strings.Contains(k, v) {
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}
