package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"junction"
	"junction/trigger"
)

func (s *Server) hookRoutes() []route {
	return []route{
		{method: "POST", path: "/hooks/{token}", op: "receiveWebhook", access: public(), tag: "triggers",
			summary: "Where a vendor sends a webhook trigger's events (its webhook_url). Needs no token: the URL " +
				"and the vendor's signature authenticate the delivery. 2xx only once the event is stored; 401 " +
				"for a missing or bad signature (recorded in the trigger's history), 404 for an unknown URL, " +
				"413 for a body over 1 MiB; a handshake the connector declares (a validationToken query " +
				"parameter, a header to echo) is answered as the vendor expects, text/plain with nosniff; the unsigned " +
				"ping a connector declares (WooCommerce's when a webhook is saved) is answered 200 without a job",
			status: http.StatusOK, handle: s.receiveWebhook},
		{method: "GET", path: "/hooks/{token}", op: "answerWebhookChallenge", access: public(), tag: "triggers",
			summary: "Answers a vendor's GET challenge to a webhook trigger's URL (Dropbox's ?challenge=) when the " +
				"trigger's connector declares one: the challenge echoed as text/plain with nosniff. 404 for an " +
				"unknown URL, 405 when the connector declares no GET handshake",
			status: http.StatusOK, handle: s.receiveWebhook},
		{method: "HEAD", path: "/hooks/{token}", op: "checkWebhookURL", access: public(), tag: "triggers",
			summary: "Answers a vendor's HEAD check of a webhook trigger's URL (Trello's) when the trigger's " +
				"connector declares one: 200 with no body. 404 for an unknown URL, 405 when the connector " +
				"declares no HEAD handshake",
			status: http.StatusOK, handle: s.receiveWebhook},
	}
}

// receiveWebhook passes a vendor's request to the trigger runtime: a
// delivery or a handshake. The raw body is kept as it came, since
// signatures are over its bytes.
func (s *Server) receiveWebhook(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > trigger.MaxWebhookBody {
		return webhookTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, trigger.MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return webhookTooLarge()
		}
		return junction.Errorf(junction.EBADJSON, "the body could not be read")
	}
	resp, err := s.app.ReceiveWebhook(r.Context(), r.PathValue("token"),
		trigger.WebhookRequest{Method: r.Method, URL: r.URL.RequestURI(), Query: r.URL.Query(), Header: r.Header, Body: body})
	if junction.IsCode(err, junction.EMETHODNOTALLOWED) {
		w.Header().Set("Allow", "POST")
	}
	if err != nil {
		return err
	}
	h := w.Header()
	for name, vs := range resp.Header {
		h[name] = vs
	}
	if resp.ContentType != "" {
		h.Set("Content-Type", resp.ContentType)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.Body)
	}
	return nil
}

func webhookTooLarge() error {
	return &junction.Error{Code: junction.ETOOLARGE,
		Message: "the webhook body is larger than 1 MiB",
		Details: map[string]any{"limit_bytes": trigger.MaxWebhookBody}}
}

// redactHookPath hides the token of a webhook URL: the token alone lets
// anyone send events, so it is kept out of logs like any credential.
func redactHookPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "/hooks/"); ok && rest != "" {
		return "/hooks/REDACTED"
	}
	return path
}
