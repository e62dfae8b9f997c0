package httpapi

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"junction/connector"
	"junction/engine"
)

// wantsRawFile reports whether the caller of an execution whose output is
// the file f asked for its bytes rather than the JSON result: its Accept
// header names f's media type, or application/octet-stream, and not
// application/json. Wildcards do not count, so a client that accepts
// anything (curl's */*) keeps the JSON result it has always had.
func wantsRawFile(r *http.Request, f *connector.File) bool {
	want, _, err := mime.ParseMediaType(f.MediaType())
	if err != nil {
		want = "application/octet-stream"
	}
	raw := false
	for _, a := range r.Header.Values("Accept") {
		for _, part := range strings.Split(a, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
				continue
			}
			switch mt {
			case "application/json":
				return false
			case want, "application/octet-stream":
				raw = true
			}
		}
	}
	return raw
}

// writeRawFile answers an execution with the file's own bytes: its type,
// a Content-Disposition naming it for download, and the execution's ID in
// a header, since there is no JSON result to carry it. The file came from
// a third party, so a browser is told not to sniff or run it.
func writeRawFile(w http.ResponseWriter, res *engine.Result, f *connector.File) error {
	h := w.Header()
	h.Set("Content-Type", f.MediaType())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "attachment"
	if f.Filename != "" {
		disp = mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename})
	}
	h.Set("Content-Disposition", disp)
	h.Set("Content-Length", strconv.Itoa(len(f.Content)))
	h.Set(ExecutionIDHeader, res.ExecutionID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Content)
	return nil
}

// ExecutionIDHeader carries the execution's ID when the answer is a raw
// file rather than the JSON result.
const ExecutionIDHeader = "Junction-Execution-Id"
