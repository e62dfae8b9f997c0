package connector

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"junction"
)

// mimeRole is what a message does with an input a MIMEMessage names.
type mimeRole int

const (
	roleAddresses  mimeRole = iota // an address list header
	roleHeader                     // unstructured header text (Subject)
	roleMessageIDs                 // In-Reply-To, References
	roleBody                       // a text or HTML body
	roleFiles                      // attachments
)

// mimeSlot is one attribute of a MIMEMessage that names an input.
type mimeSlot struct {
	attr, input string
	role        mimeRole
}

// slots lists the attributes that name an input, in the order their
// headers are written.
func (m *MIMEMessage) slots() []mimeSlot {
	all := []mimeSlot{
		{"from", m.From, roleAddresses},
		{"reply_to", m.ReplyTo, roleAddresses},
		{"to", m.To, roleAddresses},
		{"cc", m.Cc, roleAddresses},
		{"bcc", m.Bcc, roleAddresses},
		{"subject", m.Subject, roleHeader},
		{"in_reply_to", m.InReplyTo, roleMessageIDs},
		{"references", m.References, roleMessageIDs},
		{"text", m.Text, roleBody},
		{"html", m.HTML, roleBody},
		{"attachments", m.Attachments, roleFiles},
	}
	out := all[:0]
	for _, s := range all {
		if s.input != "" {
			out = append(out, s)
		}
	}
	return out
}

// names reports whether the message takes the input name.
func (m *MIMEMessage) names(name string) bool {
	for _, s := range m.slots() {
		if s.input == name {
			return true
		}
	}
	return false
}

// headerNames are the header each address or message-ID attribute writes.
var headerNames = map[string]string{
	"from": "From", "reply_to": "Reply-To", "to": "To", "cc": "Cc", "bcc": "Bcc",
	"subject": "Subject", "in_reply_to": "In-Reply-To", "references": "References",
}

// given reports whether an input holds something: a form leaves the
// fields a person did not fill as empty strings.
func given(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case []*File:
		return len(t) > 0
	}
	return true
}

// fillMIMEMessage builds the message from the inputs m names, removes
// them from vals and sets vals[m.Into] to the message, base64url-encoded.
// A ready message in vals[m.Into] is left as it is, and then none of the
// other inputs may be given. It reports whether the message holds
// attachments. No error repeats an input's value.
func fillMIMEMessage(m *MIMEMessage, vals map[string]any) (attached bool, err error) {
	var have []string
	for _, s := range m.slots() {
		if given(vals[s.input]) {
			have = append(have, s.input)
		} else {
			delete(vals, s.input)
		}
	}
	if given(vals[m.Into]) {
		if len(have) > 0 {
			return false, junction.Invalid("input."+have[0], "give either %s, a whole message, or the message's inputs, not both", m.Into)
		}
		return false, nil
	}
	if len(have) == 0 {
		return false, junction.Invalid("input."+m.Into, "is required, or else the message's inputs (%s)", strings.Join(m.inputNames(), ", "))
	}
	msg := &mailMessage{}
	for _, s := range m.slots() {
		v, ok := vals[s.input]
		if !ok {
			continue
		}
		if err := msg.set(s, v); err != nil {
			return false, err
		}
		delete(vals, s.input)
	}
	raw, err := msg.encode()
	if err != nil {
		return false, err
	}
	vals[m.Into] = base64.URLEncoding.EncodeToString(raw)
	return len(msg.attachments) > 0, nil
}

func (m *MIMEMessage) inputNames() []string {
	var names []string
	for _, s := range m.slots() {
		names = append(names, s.input)
	}
	return names
}

// mailMessage is a message being built: header values checked and ready
// to write, bodies and files as given.
type mailMessage struct {
	headers     []string // "Name: value" lines, unfolded
	text, html  *string
	attachments []*File
	filesField  string // the attachments input, for errors
}

// set checks one input's value and takes it into the message.
func (msg *mailMessage) set(s mimeSlot, v any) error {
	field := "input." + s.input
	switch s.role {
	case roleAddresses:
		list, err := addressList(field, v)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			msg.headers = append(msg.headers, headerNames[s.attr]+": "+strings.Join(list, ", "))
		}
	case roleHeader:
		text, ok := v.(string)
		if !ok {
			return junction.Invalid(field, "must be a string")
		}
		if err := headerSafe(field, text); err != nil {
			return err
		}
		for _, w := range strings.Fields(text) {
			if len(w) > maxHeaderWord {
				return junction.Invalid(field, "must not hold a word longer than %d characters", maxHeaderWord)
			}
		}
		msg.headers = append(msg.headers, headerNames[s.attr]+": "+encodeHeaderText(strings.Join(strings.Fields(text), " ")))
	case roleMessageIDs:
		ids, err := messageIDs(field, v)
		if err != nil {
			return err
		}
		if s.attr == "in_reply_to" && len(ids) > 1 {
			return junction.Invalid(field, "must be one message ID")
		}
		if len(ids) > 0 {
			msg.headers = append(msg.headers, headerNames[s.attr]+": "+strings.Join(ids, " "))
		}
	case roleBody:
		text, ok := v.(string)
		if !ok {
			return junction.Invalid(field, "must be a string")
		}
		if s.attr == "html" {
			msg.html = &text
		} else {
			msg.text = &text
		}
	case roleFiles:
		msg.filesField = field
		switch f := v.(type) {
		case *File:
			msg.attachments = append(msg.attachments, f)
		case []*File:
			msg.attachments = append(msg.attachments, f...)
		default:
			return junction.Invalid(field, "must be a file or a list of files")
		}
	}
	return nil
}

// encodeHeaderText writes unstructured header text: as is when it is
// ASCII, else as RFC 2047 encoded words. Text that looks like an encoded
// word already ("=?") is encoded too, so that it reads back as typed.
func encodeHeaderText(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	// The mime package leaves ASCII alone, so the words are written here:
	// at most 45 bytes each (75 characters encoded), cut between runes.
	var words []string
	for len(s) > 0 {
		n := min(len(s), 45)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// maxHeaderWord bounds a word of header text: a header line may not pass
// 998 characters, and a word cannot be folded.
const maxHeaderWord = 900

// headerSafe refuses text that would end the header it goes in and start
// another (header injection).
func headerSafe(field, s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return junction.Invalid(field, "must not contain line breaks")
	}
	return nil
}

// headerTexts reads an input that is a string or an array of strings, each
// safe to put in a header.
func headerTexts(field string, v any) ([]string, error) {
	var texts []string
	switch t := v.(type) {
	case string:
		texts = []string{t}
	case []any:
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, junction.Invalid(fmt.Sprintf("%s[%d]", field, i), "must be a string")
			}
			texts = append(texts, s)
		}
	default:
		return nil, junction.Invalid(field, "must be a string or an array of strings")
	}
	for _, text := range texts {
		if err := headerSafe(field, text); err != nil {
			return nil, err
		}
	}
	return texts, nil
}

// addressList reads an address input: a string holding a list as written
// in a header, or an array of such strings. Display names come out
// RFC 2047-encoded where they need it.
func addressList(field string, v any) ([]string, error) {
	texts, err := headerTexts(field, v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, text := range texts {
		if strings.TrimSpace(text) == "" {
			continue
		}
		list, err := mail.ParseAddressList(text)
		if err != nil || len(list) == 0 {
			// The parser's message may quote the input.
			return nil, junction.Invalid(field, "must be email addresses such as Ann <ann@example.com>, separated by commas")
		}
		for _, a := range list {
			out = append(out, a.String())
		}
	}
	return out, nil
}

// msgIDRE is a message ID without its angle brackets: no spaces, brackets
// or controls, and an @ between two non-empty halves.
var msgIDRE = regexp.MustCompile(`^[!-;=?-~]+@[!-;=?-~]+$`)

// messageIDs reads message IDs, with or without their angle brackets,
// separated by spaces or commas, or as an array, and writes each in
// brackets.
func messageIDs(field string, v any) ([]string, error) {
	texts, err := headerTexts(field, v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, text := range texts {
		for _, id := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
			bare := id
			if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") {
				bare = id[1 : len(id)-1]
			}
			if !msgIDRE.MatchString(bare) || len(bare) > maxHeaderWord {
				return nil, junction.Invalid(field, "must be message IDs such as <CAB1x2y@mail.example.com>")
			}
			out = append(out, "<"+bare+">")
		}
	}
	return out, nil
}

// entity is a MIME entity: its Content-* headers and its encoded body.
type entity struct {
	header textproto.MIMEHeader
	body   []byte
}

// encode writes the message: headers, then text and HTML as
// multipart/alternative when both are given, inside multipart/mixed when
// there are attachments.
func (msg *mailMessage) encode() ([]byte, error) {
	var bodies []entity
	if msg.text != nil {
		bodies = append(bodies, textEntity("plain", *msg.text))
	}
	if msg.html != nil {
		bodies = append(bodies, textEntity("html", *msg.html))
	}
	var top entity
	switch len(bodies) {
	case 0:
		if len(msg.attachments) == 0 {
			top = textEntity("plain", "")
		}
	case 1:
		top = bodies[0]
	default:
		top = multipartEntity("alternative", bodies)
	}
	if len(msg.attachments) > 0 {
		parts := bodies[:0:0]
		if top.header != nil {
			parts = append(parts, top)
		}
		for _, f := range msg.attachments {
			a, err := attachmentEntity(msg.filesField, f)
			if err != nil {
				return nil, err
			}
			parts = append(parts, a)
		}
		top = multipartEntity("mixed", parts)
	}
	var b bytes.Buffer
	writeHeader(&b, "MIME-Version: 1.0")
	for _, h := range msg.headers {
		writeHeader(&b, h)
	}
	for _, k := range sortedKeys(top.header) {
		// Not folded: Go's and other readers join folded lines with one
		// space, which would change a filename's runs of spaces.
		b.WriteString(k + ": " + top.header.Get(k) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(top.body)
	return b.Bytes(), nil
}

// writeHeader writes one header line, folded before a word that would take
// it past 78 characters.
func writeHeader(b *bytes.Buffer, line string) {
	width := 0
	for i, w := range strings.Split(line, " ") {
		if i > 0 {
			if width+1+len(w) > 78 {
				b.WriteString("\r\n")
				width = 0
			}
			b.WriteByte(' ')
			width++
		}
		b.WriteString(w)
		width += len(w)
	}
	b.WriteString("\r\n")
}

// textEntity is a UTF-8 text body, quoted-printable, its line breaks
// made CRLF.
func textEntity(subtype, text string) entity {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return entity{
		header: textproto.MIMEHeader{
			"Content-Type":              {"text/" + subtype + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		},
		body: buf.Bytes(),
	}
}

func multipartEntity(subtype string, parts []entity) entity {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		pw, _ := w.CreatePart(p.header) // writes to a buffer: no error
		_, _ = pw.Write(p.body)
	}
	_ = w.Close()
	return entity{
		header: textproto.MIMEHeader{"Content-Type": {"multipart/" + subtype + "; boundary=" + w.Boundary()}},
		body:   buf.Bytes(),
	}
}

// attachmentEntity is a file in base64, named in both Content-Type and
// Content-Disposition (RFC 2231-encoded when the name is not ASCII).
func attachmentEntity(field string, f *File) (entity, error) {
	mt, params, err := mime.ParseMediaType(f.MediaType())
	if err != nil {
		return entity{}, junction.Invalid(field, "an attachment's content_type must be a media type")
	}
	disp := map[string]string{}
	if f.Filename != "" {
		params["name"] = f.Filename
		disp["filename"] = f.Filename
	}
	var buf bytes.Buffer
	enc := base64.StdEncoding.EncodeToString(f.Content)
	for len(enc) > 76 {
		buf.WriteString(enc[:76])
		buf.WriteString("\r\n")
		enc = enc[76:]
	}
	buf.WriteString(enc)
	return entity{
		header: textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(mt, params)},
			"Content-Disposition":       {mime.FormatMediaType("attachment", disp)},
			"Content-Transfer-Encoding": {"base64"},
		},
		body: buf.Bytes(),
	}, nil
}
