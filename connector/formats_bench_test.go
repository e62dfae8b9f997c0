package connector_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"junction/connector"
)

// BenchmarkFileUpload builds a 1 MiB upload from its JSON input, as an
// execution does: decoding the base64 and encoding the body.
func BenchmarkFileUpload(b *testing.B) {
	content := base64.StdEncoding.EncodeToString(make([]byte, 1<<20))
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "t")}
	for _, bc := range []struct{ name, key, activity string }{
		{"Binary", "dropbox", "upload"},
		{"Multipart", "box", "upload_file"},
		{"MultipartRelated", "google-drive", "upload_file"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := mustDefinition(b, bc.key)
			c := cred
			if bc.key == "google-drive" {
				c = googleCred()
			}
			b.SetBytes(1 << 20)
			b.ReportAllocs()
			for b.Loop() {
				in := map[string]any{"file": map[string]any{"content": content, "filename": "a.bin"}, "path": "/a.bin", "name": "a.bin"}
				if bc.key == "dropbox" {
					delete(in, "name")
				} else {
					delete(in, "path")
				}
				if _, err := d.BuildActivity(c, bc.activity, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFileOutput writes an 8 MiB file answer (the default response
// limit) as the execution's JSON.
func BenchmarkFileOutput(b *testing.B) {
	f := &connector.File{Filename: "a.pdf", ContentType: "application/pdf", Content: make([]byte, 8<<20)}
	b.SetBytes(8 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(f); err != nil {
			b.Fatal(err)
		}
	}
}
