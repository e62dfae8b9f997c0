package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"junction"
	"junction/app"
)

func (s *Server) oauthRoutes() []route {
	return []route{
		{method: "GET", path: "/oauth/callback", op: "oauthCallback", access: public(), tag: "connections",
			summary: "Where an OAuth 2.0 provider returns the browser after consent: completes the authorization " +
				"and answers a small HTML page. Needs no token: the state parameter names the pending flow",
			query: []queryParam{
				{name: "state", description: "The state Junction sent to the provider."},
				{name: "code", description: "The authorization code."},
				{name: "error", description: "The provider's error, when consent was not given."},
				{name: "error_description", description: "The provider's explanation of error."},
			},
			status: http.StatusOK, handle: s.oauthCallback},
	}
}

// ConsentReturner is an optional ability of the mounted web UI: taking
// the browser back to the page a consent was started from.
type ConsentReturner interface {
	// ReturnFromConsent answers the callback with the outcome of the
	// consent (c is set when err is nil) and reports true when the
	// consent was started from the UI in this browser; false leaves the
	// answer to the callback's own page.
	ReturnFromConsent(w http.ResponseWriter, r *http.Request, c *junction.Connection, err error) bool
}

// callbackPage is what the browser shows at the end of a consent. It names
// the connection, never a token or code.
var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Junction</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#176b2c}.fail{color:#a11}code{background:#f3f3f3;padding:0 .2rem}</style>
</head>
<body>
<h1 class="{{if .OK}}ok{{else}}fail{{end}}">{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Code}}<p>Error code: <code>{{.Code}}</code>{{if .RequestID}}, request <code>{{.RequestID}}</code>{{end}}</p>{{end}}
</body>
</html>
`))

type callbackView struct {
	OK                              bool
	Title, Message, Code, RequestID string
}

// oauthCallback completes a consent and tells the person in the browser
// how it went. Failures are pages too, not problem documents: a browser
// shows them.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	c, err := s.app.CompleteAuthorization(r.Context(), app.AuthorizationCallback{
		State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		IP: s.clientIP(r), RequestID: requestIDFrom(r.Context()),
	})
	if err != nil && statusOf(junction.ErrorCode(err)) >= 500 {
		loggerFrom(r.Context()).LogAttrs(r.Context(), slog.LevelError, "OAuth callback failed",
			slog.String("code", junction.ErrorCode(err)), slog.Any("error", err))
	}
	if cr, ok := s.ui.(ConsentReturner); ok && cr.ReturnFromConsent(w, r, c, err) {
		return nil
	}
	view := callbackView{OK: true, Title: "Connected",
		Message: "You can close this window."}
	status := http.StatusOK
	if err == nil {
		view.Message = "Connection \u201c" + c.Name + "\u201d is connected. You can close this window."
	} else {
		code := junction.ErrorCode(err)
		status = statusOf(code)
		if code == junction.ENOTFOUND || code == junction.EINVALID {
			// The page answers the browser's request, whose parameters
			// are what is wrong.
			status = http.StatusBadRequest
		}
		view = callbackView{Title: "Not connected", Code: code, RequestID: requestIDFrom(r.Context())}
		var je *junction.Error
		switch {
		case code == junction.EINVALID && errors.As(err, &je) && strings.HasPrefix(je.Field, "fields."):
			// The provider granted access, but a field the connection
			// needs could not be filled from what the token reaches.
			view.Message = junction.ErrorMessage(err)
		case code == junction.EINVALID:
			view.Message = "This page was opened without the parameters the provider sends back. Start the authorization again from Junction."
		case code == junction.ENOTFOUND:
			view.Message = "This authorization request is unknown, already used or expired. Start it again from Junction."
		default:
			view.Message = junction.ErrorMessage(err)
		}
	}
	var buf bytes.Buffer
	if err := callbackPage.Execute(&buf, view); err != nil {
		return junction.Internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
