package notify

import (
	"fmt"
	"html/template"
	"strings"

	"junction"
)

// message is what people read about one event. It is made from the
// event's type and details, which hold names, reasons and counts and never
// a secret.
type message struct {
	title, body, link string
}

// detail returns a string detail of e, or "".
func detail(e *junction.Event, key string) string {
	if v, ok := e.Details[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// named is how a message names the object: its name, else its ID.
func named(e *junction.Event) string {
	if name := detail(e, "name"); name != "" {
		return fmt.Sprintf("%q", name)
	}
	return e.ObjectID
}

func render(e *junction.Event, link string) message {
	m := message{link: link}
	reason := detail(e, "reason")
	switch e.Type {
	case junction.EventConnectionDisconnected:
		m.title = "Connection " + named(e) + " disconnected"
		m.body = "Junction marked the connection disconnected: " + orUnknown(reason) +
			". Executions through it fail until its credentials are fixed and it is tested again."
	case junction.EventConnectionReauthorizationNeeded:
		m.title = "Connection " + named(e) + " needs reauthorization"
		m.body = "Its " + orUnknown(detail(e, "credential")) + " expires at " + orUnknown(detail(e, "expires_at")) +
			". Authorize the connection again before then, or it will disconnect."
	case junction.EventCredentialStoreUnreachable:
		if detail(e, "state") == "recovered" {
			m.title = "Credential store " + named(e) + " is reachable again"
			m.body = "Junction reaches the credential store again; secrets resolve from it as before."
		} else {
			m.title = "Credential store " + named(e) + " is unreachable"
			m.body = "Junction has not reached the credential store since " + orUnknown(detail(e, "since")) +
				": " + orUnknown(reason) + ". Executions needing its secrets fail while it lasts."
		}
	case junction.EventTriggerDisabled:
		m.title = "Trigger " + named(e) + " disabled"
		m.body = "The trigger was disabled: " + orUnknown(reason) + ". Enable it again once the cause is fixed."
	case junction.EventTriggerFailing:
		m.title = "Trigger " + named(e) + " is failing"
		m.body = fmt.Sprintf("The trigger failed %s times in a row; last: %s. It is disabled if this goes on.",
			orUnknown(detail(e, "failures")), orUnknown(reason))
	case junction.EventJobFailed:
		m.title = "Job " + e.ObjectID + " failed"
		m.body = "The job's delivery gave up after its last attempt: " + orUnknown(reason) + ". It can be retried."
	case junction.EventQuotaThreshold:
		m.title = fmt.Sprintf("API calls at %s%% of this month's quota", orUnknown(detail(e, "percent")))
		m.body = fmt.Sprintf("The tenant made %s of its %s API calls for %s. At 100%%, executions are refused until the month ends; "+
			"a host administrator can raise the quota.", orUnknown(detail(e, "used")), orUnknown(detail(e, "limit")), orUnknown(detail(e, "month")))
	default:
		m.title = e.Type + " " + named(e)
		m.body = reason
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// email is one email: a plain-text and an HTML part.
type email struct {
	subject, text, html string
}

var emailHTML = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
{{if gt (len .) 1}}<p>{{len .}} notifications about the same object in the last hour:</p>{{end}}
{{range .}}<h2 style="font-size: 1.1em">{{.Title}}</h2>
<p>{{.Body}}</p>
<p style="color: #666">{{.At.Format "2006-01-02 15:04:05 MST"}}{{if .Link}} · <a href="{{.Link}}">Open in Junction</a>{{end}}</p>
{{end}}<p style="color: #666; font-size: 0.9em">Choose what you are told with junction notifications preferences.</p>
</body></html>
`))

// composeEmail writes one email for notifications about one object and
// event type: the notification itself, or a digest of several.
func composeEmail(ns []*junction.Notification) (email, error) {
	var e email
	if len(ns) == 1 {
		e.subject = "[Junction] " + ns[0].Title
	} else {
		e.subject = fmt.Sprintf("[Junction] %d notifications: %s", len(ns), ns[len(ns)-1].Title)
	}
	var b strings.Builder
	if len(ns) > 1 {
		fmt.Fprintf(&b, "%d notifications about the same object in the last hour:\n\n", len(ns))
	}
	for _, n := range ns {
		fmt.Fprintf(&b, "%s\n%s\n%s\n", n.Title, n.Body, n.At.Format("2006-01-02 15:04:05 MST"))
		if n.Link != "" {
			fmt.Fprintf(&b, "Open: %s\n", n.Link)
		}
		b.WriteString("\n")
	}
	b.WriteString("Choose what you are told with junction notifications preferences.\n")
	e.text = b.String()
	var h strings.Builder
	if err := emailHTML.Execute(&h, ns); err != nil {
		return email{}, err
	}
	e.html = h.String()
	return e, nil
}
