package connector_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"junction/connector"
)

// FuzzFileInput sends arbitrary files through a multipart body: whatever
// the caller's filename and content type, an accepted file comes back out
// of the body as one part with the same name and content, and a refused
// one is a validation error, never a panic.
func FuzzFileInput(f *testing.F) {
	d := mustParse(f, formatsHead+`  - name: send
    method: POST
    path: /send
    body_encoding: multipart
    inputs:
      - {name: file, type: file, required: true}
`)
	cred := connector.Credentials{Secrets: secrets("token", "t-1")}
	f.Add([]byte("%PDF"), "a.pdf", "application/pdf")
	f.Add([]byte{0, 0xff}, "é \";.bin", "text/plain; charset=\"utf-8\"")
	f.Add([]byte("--x\r\n"), "\r\nX: y", "a/b\r\nX: y")
	f.Fuzz(func(t *testing.T, content []byte, filename, contentType string) {
		in := map[string]any{"content": base64.StdEncoding.EncodeToString(content), "filename": filename, "content_type": contentType}
		r, err := d.BuildActivity(cred, "send", map[string]any{"file": in})
		if err != nil {
			if fieldOf(err) != "input.file" {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		parts := readParts(t, r, "multipart/form-data")
		if len(parts) != 1 || parts[0].name != "file" || !bytes.Equal([]byte(parts[0].body), content) {
			t.Fatalf("parts = %+v", parts)
		}
		if filename != "" && parts[0].filename != filename {
			t.Fatalf("filename %q came back as %q", filename, parts[0].filename)
		}
	})
}
