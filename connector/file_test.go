package connector_test

import (
	"testing"

	"junction/connector"
)

// A file from a browser's form keeps a plain name and a media type that
// parses; anything else, which would go into a part's headers, is dropped.
func TestUploadedFile(t *testing.T) {
	for _, c := range []struct {
		name, filename, contentType string
		wantName, wantType          string
	}{
		{"OK", "invoice.pdf", "application/pdf", "invoice.pdf", "application/pdf"},
		{"Path", `C:\Users\ann\invoice.pdf`, "application/pdf", "invoice.pdf", "application/pdf"},
		{"Quote", `a".pdf`, "", "", "application/octet-stream"},
		{"BadType", "a.bin", "not a type", "a.bin", "application/octet-stream"},
		{"HeaderBreak", "a.txt", "text/plain\r\nX-Evil: 1", "a.txt", "application/octet-stream"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := connector.UploadedFile(c.filename, c.contentType, []byte("abc"))
			if f.Filename != c.wantName || f.MediaType() != c.wantType || f.Size != 3 || string(f.Content) != "abc" {
				t.Errorf("got %q %q size %d", f.Filename, f.MediaType(), f.Size)
			}
		})
	}
}
