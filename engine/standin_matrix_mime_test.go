package engine_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/mail"
	"strings"

	"junction/connector"
)

// What the catalog matrix needs for operations with mime_message: a run
// with the required inputs gives a ready message, one with every input
// gives the message's inputs instead (valid addresses and message IDs),
// and the inputs are looked for in the message the request carries.

// messageRoles maps each input a message names to its attribute.
func messageRoles(m *connector.MIMEMessage) map[string]string {
	out := map[string]string{}
	for attr, name := range map[string]string{
		"from": m.From, "to": m.To, "cc": m.Cc, "bcc": m.Bcc, "reply_to": m.ReplyTo,
		"subject": m.Subject, "text": m.Text, "html": m.HTML, "attachments": m.Attachments,
		"in_reply_to": m.InReplyTo, "references": m.References,
	} {
		if name != "" {
			out[name] = attr
		}
	}
	return out
}

// matrixReadyMessage is the ready message a run without the message's
// inputs sends.
var matrixReadyMessage = base64.URLEncoding.EncodeToString([]byte("To: matrix@example.com\r\nSubject: ready\r\n\r\nmatrix"))

// withMessage fits input to an operation with mime_message: either the
// message's inputs, with values a message takes, or a ready message.
func withMessage(op *connector.Operation, input map[string]any, every bool) map[string]any {
	m := op.MIMEMessage
	if m == nil {
		return input
	}
	roles := messageRoles(m)
	if !every {
		for name := range roles {
			if _, ok := input[name]; ok {
				return input
			}
		}
		input[m.Into] = matrixReadyMessage
		return input
	}
	delete(input, m.Into)
	for name, attr := range roles {
		if _, ok := input[name]; !ok {
			continue
		}
		switch attr {
		case "from", "to", "cc", "bcc", "reply_to":
			input[name] = "Matrix <" + matrixValue(name) + "@example.com>"
		case "in_reply_to", "references":
			input[name] = "<" + matrixValue(name) + "@mail.example.com>"
		case "attachments":
		default:
			input[name] = matrixValue(name)
		}
	}
	return input
}

// inMessage reports whether the input goes into the operation's message,
// and checks that the message the request carries holds its value.
func (m *matrixRun) inMessage(name string, op *connector.Operation, in connector.Input, input map[string]any, r matrixRequest) bool {
	if op.MIMEMessage == nil {
		return false
	}
	if _, ok := messageRoles(op.MIMEMessage)[in.Name]; !ok {
		return false
	}
	raw := sentMessage(r.body)
	if raw == nil {
		m.t.Errorf("%s: the body carries no message", name)
		return true
	}
	var want []string
	switch v := input[in.Name].(type) {
	case string:
		// The address or message ID, without the name and brackets
		// the message may write otherwise.
		want = []string{strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "Matrix "), "<"), ">")}
	default:
		for _, f := range givenFiles(v) {
			want = append(want, base64.StdEncoding.EncodeToString(f))
		}
	}
	for _, s := range want {
		if !bytes.Contains(raw, []byte(s)) {
			m.t.Errorf("%s: the input %s is not in the message", name, in.Name)
		}
	}
	return true
}

// sentMessage finds the message in a JSON body: the string that decodes
// from base64url to a MIME message.
func sentMessage(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	var found []byte
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		case string:
			b, err := base64.URLEncoding.DecodeString(t)
			if err != nil {
				return
			}
			if msg, err := mail.ReadMessage(bytes.NewReader(b)); err == nil && msg.Header.Get("Mime-Version") != "" {
				found = b
			}
		}
	}
	walk(v)
	return found
}
