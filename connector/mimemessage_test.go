package connector_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	"junction/connector"
)

// mailDef is an API that takes a whole message as raw, as Gmail does.
const mailDef = formatsHead + `  - name: send
    method: POST
    path: /send
    mime_message:
      into: raw
      from: from
      to: to
      cc: cc
      bcc: bcc
      reply_to: reply_to
      subject: subject
      text: text
      html: html
      attachments: attachments
      in_reply_to: in_reply_to
      references: references
    inputs:
      - {name: from, type: string}
      - {name: to, type: array}
      - {name: cc, type: string}
      - {name: bcc, type: string}
      - {name: reply_to, type: string}
      - {name: subject, type: string}
      - {name: text, type: string}
      - {name: html, type: string}
      - {name: attachments, type: file}
      - {name: in_reply_to, type: string}
      - {name: references, type: array}
      - {name: raw, type: string}
      - {name: thread, type: string}
`

// mailPart is a leaf of a parsed message: the multipart types enclosing
// it and its own, its headers, and its body decoded.
type mailPart struct {
	path   string // "multipart/mixed>multipart/alternative>text/plain"
	header textproto.MIMEHeader
	params map[string]string
	body   []byte
}

// sentMail builds the activity and reads back the message it sends: the
// headers as net/mail parses them and the leaf parts.
func sentMail(t testing.TB, d *connector.Definition, input map[string]any) (mail.Header, []mailPart) {
	t.Helper()
	r, err := d.BuildActivity(connector.Credentials{Secrets: secrets("token", "t-1")}, "send", input)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var body struct{ Raw string }
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(body.Raw)
	if err != nil {
		t.Fatalf("raw is not base64url: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 || strings.Contains(line, "\n") {
			t.Fatalf("line of %d bytes or a bare line feed: %q", len(line), line)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	if msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", msg.Header.Get("MIME-Version"))
	}
	return msg.Header, readMailParts(t, "", textproto.MIMEHeader(msg.Header), msg.Body)
}

func readMailParts(t testing.TB, path string, h textproto.MIMEHeader, body io.Reader) []mailPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	if path != "" {
		path += ">"
	}
	path += mt
	if strings.HasPrefix(mt, "multipart/") {
		var out []mailPart
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, readMailParts(t, path, p.Header, p)...)
		}
	}
	switch h.Get("Content-Transfer-Encoding") {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	default:
		t.Fatalf("%s: Content-Transfer-Encoding %q", path, h.Get("Content-Transfer-Encoding"))
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []mailPart{{path: path, header: h, params: params, body: b}}
}

func decodedHeader(t testing.TB, h mail.Header, name string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func addresses(t testing.TB, h mail.Header, name string) []string {
	t.Helper()
	list, err := h.AddressList(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Name+"|"+a.Address)
	}
	return out
}

func TestMIMEMessage(t *testing.T) {
	d := mustParse(t, mailDef)

	t.Run("TextOnly", func(t *testing.T) {
		h, parts := sentMail(t, d, map[string]any{
			"to":      []any{"Zoë Ünal <zoe@example.com>", "bob@example.com, \"Smith, Ann\" <ann@example.com>"},
			"cc":      "Ćiril <c@example.com>",
			"bcc":     "hidden@example.com",
			"from":    "Büro <office@example.com>",
			"subject": "Grüße aus Köln — 会議",
			"text":    "Hallo,\nwie geht's?\n\nZeile mit = und ümlaut.\n",
		})
		if got := strings.Join(addresses(t, h, "To"), ";"); got != "Zoë Ünal|zoe@example.com;|bob@example.com;Smith, Ann|ann@example.com" {
			t.Errorf("To = %s", got)
		}
		if got := strings.Join(addresses(t, h, "Cc"), ";"); got != "Ćiril|c@example.com" {
			t.Errorf("Cc = %s", got)
		}
		if got := strings.Join(addresses(t, h, "Bcc"), ";"); got != "|hidden@example.com" {
			t.Errorf("Bcc = %s", got)
		}
		if got := strings.Join(addresses(t, h, "From"), ";"); got != "Büro|office@example.com" {
			t.Errorf("From = %s", got)
		}
		for _, name := range []string{"To", "Cc", "From", "Subject"} {
			if v := h.Get(name); strings.ContainsFunc(v, func(r rune) bool { return r > 0x7e }) {
				t.Errorf("%s is not ASCII: %q", name, v)
			}
		}
		if got := decodedHeader(t, h, "Subject"); got != "Grüße aus Köln — 会議" {
			t.Errorf("Subject = %q", got)
		}
		if h.Get("Date") != "" || h.Get("Message-Id") != "" {
			t.Errorf("Date %q and Message-ID %q are the service's to add", h.Get("Date"), h.Get("Message-Id"))
		}
		if len(parts) != 1 || parts[0].path != "text/plain" || parts[0].params["charset"] != "UTF-8" {
			t.Fatalf("parts = %+v", parts)
		}
		if got := string(parts[0].body); got != "Hallo,\r\nwie geht's?\r\n\r\nZeile mit = und ümlaut.\r\n" {
			t.Errorf("text = %q", got)
		}
	})

	t.Run("TextAndHTMLWithAttachments", func(t *testing.T) {
		pdf := []byte("%PDF-1.7\x00\xff" + strings.Repeat("binary", 40))
		h, parts := sentMail(t, d, map[string]any{
			"to":      []any{"ann@example.com"},
			"subject": "Invoice",
			"text":    "See attached.",
			"html":    "<p>See <b>attached</b>.</p>",
			"attachments": []any{
				map[string]any{"content": base64.StdEncoding.EncodeToString(pdf), "filename": "Rechnung März.pdf", "content_type": "application/pdf"},
				map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("a,b\n1,2\n")), "filename": "data.csv", "content_type": "text/csv; charset=utf-8"},
				map[string]any{"content": ""},
			},
		})
		if got := h.Get("Subject"); got != "Invoice" {
			t.Errorf("Subject = %q", got)
		}
		want := []string{
			"multipart/mixed>multipart/alternative>text/plain",
			"multipart/mixed>multipart/alternative>text/html",
			"multipart/mixed>application/pdf",
			"multipart/mixed>text/csv",
			"multipart/mixed>application/octet-stream",
		}
		if len(parts) != len(want) {
			t.Fatalf("%d parts, want %d: %+v", len(parts), len(want), parts)
		}
		for i, p := range parts {
			if p.path != want[i] {
				t.Errorf("part %d is %s, want %s", i, p.path, want[i])
			}
		}
		if string(parts[0].body) != "See attached." || string(parts[1].body) != "<p>See <b>attached</b>.</p>" {
			t.Errorf("bodies %q and %q", parts[0].body, parts[1].body)
		}
		if !bytes.Equal(parts[2].body, pdf) || string(parts[3].body) != "a,b\n1,2\n" || len(parts[4].body) != 0 {
			t.Errorf("attachment bytes differ")
		}
		for i, name := range map[int]string{2: "Rechnung März.pdf", 3: "data.csv"} {
			_, disp, err := mime.ParseMediaType(parts[i].header.Get("Content-Disposition"))
			if err != nil || disp["filename"] != name || parts[i].params["name"] != name {
				t.Errorf("part %d: disposition %q, name %q, want %q", i, parts[i].header.Get("Content-Disposition"), parts[i].params["name"], name)
			}
		}
		if parts[3].params["charset"] != "utf-8" {
			t.Errorf("the file's content type parameters are lost: %v", parts[3].params)
		}
		if cd := parts[4].header.Get("Content-Disposition"); cd != "attachment" {
			t.Errorf("a nameless file: Content-Disposition %q", cd)
		}
	})

	t.Run("AttachmentsOnly", func(t *testing.T) {
		_, parts := sentMail(t, d, map[string]any{
			"to":          []any{"ann@example.com"},
			"attachments": map[string]any{"content": "aGk=", "filename": "hi.txt", "content_type": "text/plain"},
		})
		if len(parts) != 1 || parts[0].path != "multipart/mixed>text/plain" || string(parts[0].body) != "hi" {
			t.Fatalf("parts = %+v", parts)
		}
	})

	t.Run("HTMLOnly", func(t *testing.T) {
		_, parts := sentMail(t, d, map[string]any{"to": []any{"ann@example.com"}, "html": "<p>" + strings.Repeat("long line ", 30) + "</p>"})
		if len(parts) != 1 || parts[0].path != "text/html" || !strings.HasSuffix(string(parts[0].body), "long line </p>") {
			t.Fatalf("parts = %+v", parts)
		}
	})

	t.Run("Reply", func(t *testing.T) {
		h, _ := sentMail(t, d, map[string]any{
			"to":          []any{"ann@example.com"},
			"reply_to":    "team@example.com, Support <help@example.com>",
			"subject":     "Re: Invoice",
			"text":        "Thanks.",
			"in_reply_to": "CAB1x2y@mail.gmail.com",
			"references":  []any{"<a1@mail.example.com> <b2@mail.example.com>", "CAB1x2y@mail.gmail.com"},
		})
		if got := h.Get("In-Reply-To"); got != "<CAB1x2y@mail.gmail.com>" {
			t.Errorf("In-Reply-To = %q", got)
		}
		if got := h.Get("References"); got != "<a1@mail.example.com> <b2@mail.example.com> <CAB1x2y@mail.gmail.com>" {
			t.Errorf("References = %q", got)
		}
		if got := strings.Join(addresses(t, h, "Reply-To"), ";"); got != "|team@example.com;Support|help@example.com" {
			t.Errorf("Reply-To = %s", got)
		}
	})

	t.Run("LongHeadersFolded", func(t *testing.T) {
		var to []any
		for i := 0; i < 40; i++ {
			to = append(to, "Person Number "+strings.Repeat("x", i)+" <p"+strings.Repeat("y", i)+"@example.com>")
		}
		subject := strings.Repeat("Überweisung für die Rechnung ", 30)
		h, _ := sentMail(t, d, map[string]any{"to": to, "subject": subject, "text": "x"})
		if got := decodedHeader(t, h, "Subject"); got != strings.TrimSpace(subject) {
			t.Errorf("Subject = %q", got)
		}
		if got := addresses(t, h, "To"); len(got) != 40 {
			t.Errorf("%d addresses", len(got))
		}
	})

	// An email with attachments is logged like a file: its size and type.
	t.Run("LoggedWithoutFiles", func(t *testing.T) {
		cred := connector.Credentials{Secrets: secrets("token", "t-1")}
		file := map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("marker-91c2")), "filename": "a.txt"}
		r, err := d.BuildActivity(cred, "send", map[string]any{"to": []any{"ann@example.com"}, "text": "Hello", "attachments": file})
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Raw string }
		_ = json.Unmarshal(r.Body, &body)
		if !r.CarriesFiles() || strings.Contains(r.String(), body.Raw[:40]) || !strings.Contains(r.String(), "bytes of application/json not shown]") {
			t.Errorf("CarriesFiles %v, logged as:\n%s", r.CarriesFiles(), r)
		}
		plain, err := d.BuildActivity(cred, "send", map[string]any{"to": []any{"ann@example.com"}, "text": "Hello"})
		if err != nil {
			t.Fatal(err)
		}
		if plain.CarriesFiles() || !strings.Contains(plain.String(), `{"raw":"`) {
			t.Errorf("a message without files is hidden:\n%s", plain)
		}
	})

	t.Run("RawInstead", func(t *testing.T) {
		r, err := d.BuildActivity(connector.Credentials{Secrets: secrets("token", "t-1")}, "send",
			map[string]any{"raw": "SGk", "thread": "t1", "to": []any{}, "subject": "", "text": ""})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(r.Body); got != `{"raw":"SGk","thread":"t1"}` {
			t.Errorf("body = %s", got)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		const planted = "PLANTED-sk_live_51Hx"
		file := map[string]any{"content": "aGk=", "filename": "a.txt"}
		cases := map[string]struct {
			input map[string]any
			field string
		}{
			"RawAndFields":      {map[string]any{"raw": "SGk", "subject": "Hi"}, "input.subject"},
			"RawAndFiles":       {map[string]any{"raw": "SGk", "attachments": file}, "input.attachments"},
			"Nothing":           {map[string]any{"thread": "t1"}, "input.raw"},
			"InjectedTo":        {map[string]any{"to": []any{"ann@example.com\r\nBcc: " + planted + "@evil.example"}}, "input.to"},
			"InjectedToLF":      {map[string]any{"to": []any{"ann@example.com\nBcc: " + planted + "@evil.example"}}, "input.to"},
			"InjectedSubject":   {map[string]any{"subject": "Hi " + planted + "\r\nBcc: x@evil.example"}, "input.subject"},
			"InjectedSubjectCR": {map[string]any{"subject": "Hi " + planted + "\rBcc: x@evil.example"}, "input.subject"},
			"InjectedFrom":      {map[string]any{"from": "a@example.com\nX-" + planted + ": 1"}, "input.from"},
			"InjectedInReplyTo": {map[string]any{"in_reply_to": "<a@b>\r\nBcc: " + planted}, "input.in_reply_to"},
			"InjectedReference": {map[string]any{"references": []any{"<a@b>", "<c@d>\nX: " + planted}}, "input.references"},
			"InvalidAddress":    {map[string]any{"cc": planted + " at example dot com"}, "input.cc"},
			"InvalidBcc":        {map[string]any{"bcc": "a@example.com; " + planted + "@example.com"}, "input.bcc"},
			"AddressNotString":  {map[string]any{"to": []any{"a@example.com", 42}}, "input.to[1]"},
			"TwoInReplyTo":      {map[string]any{"in_reply_to": "<a@b> <c@d>"}, "input.in_reply_to"},
			"InvalidMessageID":  {map[string]any{"references": []any{"<" + planted + ">"}}, "input.references"},
			"BracketsInID":      {map[string]any{"in_reply_to": "<a<b@c>"}, "input.in_reply_to"},
			"LongWord":          {map[string]any{"subject": strings.Repeat("x", 901) + planted}, "input.subject"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				_, err := d.BuildActivity(connector.Credentials{Secrets: secrets("token", "t-1")}, "send", tc.input)
				wantInvalid(t, err, tc.field)
				if strings.Contains(err.Error(), "PLANTED") || strings.Contains(err.Error(), "evil") {
					t.Errorf("the error repeats the input: %v", err)
				}
			})
		}
	})
}

func TestValidateMIMEMessage(t *testing.T) {
	const inputs = `
    inputs:
      - {name: to, type: string}
      - {name: raw, type: string}
`
	cases := map[string]struct{ activity, want string }{
		"NoInto": {`
    mime_message: {to: to}` + inputs, "mime_message.into"},
		"IntoUnknown": {`
    mime_message: {into: message, to: to}` + inputs, `names no input "message"`},
		"IntoRequired": {`
    mime_message: {into: raw, to: to}
    inputs:
      - {name: to, type: string}
      - {name: raw, type: string, required: true}
`, "must be optional"},
		"IntoNotString": {`
    mime_message: {into: raw, to: to}
    inputs:
      - {name: to, type: string}
      - {name: raw, type: object}
`, `input "raw" must be a string`},
		"NothingNamed": {`
    mime_message: {into: raw}` + inputs, "mime_message"},
		"UnknownInput": {`
    mime_message: {into: raw, to: to, subject: subject}` + inputs, `names no input "subject"`},
		"TwiceNamed": {`
    mime_message: {into: raw, to: to, cc: to}` + inputs, `already the message's to`},
		"IntoNamed": {`
    mime_message: {into: raw, to: to, text: raw}` + inputs, "the one the message is sent as"},
		"WrongType": {`
    mime_message: {into: raw, to: to, subject: n}
    inputs:
      - {name: to, type: string}
      - {name: n, type: integer}
      - {name: raw, type: string}
`, `input "n" must be of type string`},
		"AttachmentsNotFile": {`
    mime_message: {into: raw, attachments: to}` + inputs, `input "to" must be of type file`},
		"InQuery": {`
    mime_message: {into: raw, to: to}
    inputs:
      - {name: to, type: string, in: query}
      - {name: raw, type: string}
`, "the message's inputs are body inputs"},
		"AlsoInBody": {`
    body: {recipient: "{to}", raw: "{raw}"}
    mime_message: {into: raw, to: to}` + inputs, "goes in the message and nowhere else"},
		"WithDefault": {`
    mime_message: {into: raw, to: to}
    inputs:
      - {name: to, type: string, default: a@example.com}
      - {name: raw, type: string}
`, "must have no default"},
		"UnknownAttribute": {`
    mime_message: {into: raw, to: to, date: to}` + inputs, "date"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := formatsHead + "  - name: send\n    method: POST\n    path: /send" + tc.activity
			_, err := connector.Parse([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		mustParse(t, mailDef)
	})
}

// FuzzMIMEMessage sends arbitrary recipients, subjects, bodies and files:
// an accepted message reads back with the same subject, body and file, and
// a refused one is a validation error on one of the inputs, never a panic
// or a header smuggled in.
func FuzzMIMEMessage(f *testing.F) {
	d := mustParse(f, mailDef)
	f.Add("Ann <ann@example.com>", "Grüße", "Hallo\nWelt", "a.pdf", []byte("%PDF"))
	f.Add("a@b.c\r\nBcc: x@y.z", "x\r\nBcc: y", "=\r\n.", "é \";.bin", []byte{0, 0xff})
	f.Add("\"=?utf-8?q?x?=\" <a@b>", "=?utf-8?q?x?= Grüße "+strings.Repeat("ü", 40), "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, to, subject, text, filename string, content []byte) {
		input := map[string]any{
			"to": []any{to}, "subject": subject, "text": text,
			"attachments": map[string]any{"content": base64.StdEncoding.EncodeToString(content), "filename": filename},
		}
		r, err := d.BuildActivity(connector.Credentials{Secrets: secrets("token", "t-1")}, "send", input)
		if err != nil {
			switch fieldOf(err) {
			case "input.to", "input.subject", "input.attachments":
				return
			}
			t.Fatalf("refused with %v", err)
		}
		_ = r
		h, parts := sentMail(t, d, input)
		for k := range h {
			switch k {
			case "Mime-Version", "To", "Subject", "Content-Type":
			default:
				t.Fatalf("unexpected header %s", k)
			}
		}
		if got := decodedHeader(t, h, "Subject"); got != strings.Join(strings.Fields(subject), " ") {
			t.Fatalf("Subject %q came back as %q", subject, got)
		}
		if text == "" { // an empty input is one not given
			parts = append([]mailPart{{}}, parts...)
		}
		if len(parts) != 2 || !bytes.Equal(parts[1].body, content) {
			t.Fatalf("parts = %+v", parts)
		}
		// Every line break, a lone CR included, becomes CRLF.
		lines := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		if got, want := lines.Replace(string(parts[0].body)), lines.Replace(text); got != want {
			t.Fatalf("text %q came back as %q", want, got)
		}
	})
}
