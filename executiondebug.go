package junction

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Transcript renders the debug record as a person reads HTTP: each
// request line, headers and body, then the response's, as masked when
// kept. The CLI and the web UI show it.
func (d *ExecutionDebug) Transcript() string {
	var b strings.Builder
	for i, a := range d.Attempts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# Request %d\n%s %s\n", i+1, a.Request.Method, a.Request.URL)
		writeDebugPart(&b, a.Request.Headers, a.Request.Body, a.Request.BodyTruncated)
		if a.Error != "" {
			fmt.Fprintf(&b, "# Error: %s\n", a.Error)
		}
		if r := a.Response; r != nil {
			fmt.Fprintf(&b, "# Response %d\nHTTP %d\n", i+1, r.Status)
			writeDebugPart(&b, r.Headers, r.Body, r.BodyTruncated)
		}
	}
	return b.String()
}

func writeDebugPart(b *strings.Builder, headers map[string][]string, body string, truncated bool) {
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		for _, v := range headers[name] {
			fmt.Fprintf(b, "%s: %s\n", name, v)
		}
	}
	if body != "" {
		fmt.Fprintf(b, "\n%s\n", body)
		if truncated {
			b.WriteString("# (body cut at 64 KiB)\n")
		}
	}
}
