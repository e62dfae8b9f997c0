package connector

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"junction"
)

// File is a file's content with its name and media type: an input of type
// file, which the caller gives in JSON as
//
//	{"content": "<base64>", "filename": "invoice.pdf", "content_type": "application/pdf"}
//
// and the output of an operation with output_file, which marshals the same
// way with its size added (encoding/json writes Content in base64 straight
// into its output, which no string field or MarshalJSON method matches for
// megabytes). Its String and LogValue name it without its content, so a
// file never fills a log.
type File struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Size is len(Content), for readers of the JSON form.
	Size    int    `json:"size"`
	Content []byte `json:"content"`
}

// String names the file and its size, never its content.
func (f *File) String() string {
	return fmt.Sprintf("file %q (%s, %d bytes)", f.Filename, f.MediaType(), len(f.Content))
}

// LogValue is String.
func (f *File) LogValue() slog.Value { return slog.StringValue(f.String()) }

// MediaType is the file's content type, application/octet-stream when it
// has none.
func (f *File) MediaType() string {
	if f.ContentType == "" {
		return "application/octet-stream"
	}
	return f.ContentType
}

var (
	_ fmt.Stringer   = (*File)(nil)
	_ slog.LogValuer = (*File)(nil)
)

// UploadedFile is a file sent from a browser's form: the name is kept
// only when it is a plain file name and the media type only when it
// parses, since both go into a part's headers.
func UploadedFile(filename, contentType string, content []byte) *File {
	f := &File{Filename: cleanFilename(filename), Content: content, Size: len(content)}
	if _, _, err := mime.ParseMediaType(contentType); err == nil && !strings.ContainsFunc(contentType, isControl) {
		f.ContentType = contentType
	}
	return f
}

// maxFilenameLen bounds a filename taken from a caller or an answer.
const maxFilenameLen = 255

// fileOf reads a file input: a *File, or the JSON object form. The
// content is standard base64 (padding optional); filename and
// content_type are optional but, when given, must be safe to put in a
// part's headers.
func fileOf(v any) (*File, error) {
	switch t := v.(type) {
	case *File:
		return t, nil
	case File:
		return &t, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errType
	}
	f := &File{}
	for k, val := range m {
		if k == "size" {
			continue // accepted, so that a file output can be sent on as an input
		}
		s, ok := val.(string)
		if !ok && val != nil {
			return nil, fmt.Errorf("%s must be a string", k)
		}
		switch k {
		case "content":
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				b, err = base64.RawStdEncoding.DecodeString(s)
			}
			if err != nil {
				return nil, fmt.Errorf("content must be standard base64")
			}
			f.Content, f.Size = b, len(b)
		case "filename":
			if len(s) > maxFilenameLen || strings.ContainsAny(s, "\r\n\x00\"\\/") || !utf8.ValidString(s) {
				return nil, fmt.Errorf("filename must be a name of at most %d bytes without quotes, slashes or line breaks", maxFilenameLen)
			}
			f.Filename = s
		case "content_type":
			if s != "" {
				if _, _, err := mime.ParseMediaType(s); err != nil || strings.ContainsFunc(s, isControl) {
					return nil, fmt.Errorf("content_type must be a media type such as application/pdf")
				}
			}
			f.ContentType = s
		default:
			return nil, fmt.Errorf("unknown member %q (want content, filename, content_type)", k)
		}
	}
	if _, ok := m["content"]; !ok {
		return nil, fmt.Errorf("content is required")
	}
	return f, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// fileInput checks the value of the file input name: one file, or, for a
// multipart body that repeats the part (Mailgun's attachment), a list of
// them.
func fileInput(name string, v any) (any, error) {
	if list, ok := v.([]any); ok {
		files := make([]*File, len(list))
		for i, e := range list {
			f, err := fileOf(e)
			if err != nil {
				return nil, fileError(fmt.Sprintf("input.%s[%d]", name, i), e, err)
			}
			files[i] = f
		}
		return files, nil
	}
	f, err := fileOf(v)
	if err != nil {
		return nil, fileError("input."+name, v, err)
	}
	return f, nil
}

func fileError(field string, v any, err error) error {
	if err == errType {
		return junction.Invalid(field, "must be a file {content (base64), filename, content_type}, not %s", typeName(v))
	}
	return junction.Invalid(field, "%s", err.Error())
}

// isFile reports whether a body value is a file or a list of files.
func isFile(v any) bool {
	switch v.(type) {
	case *File, []*File:
		return true
	}
	return false
}

// partText is a multipart field's text: scalars as in a form, objects and
// arrays as JSON.
func partText(v any) (string, error) {
	if s, ok := scalarText(v); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// encodeMultipart writes m as multipart/form-data: fields first, in key
// order, then files.
func encodeMultipart(m map[string]any) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	keys := sortedKeys(m)
	for _, k := range keys {
		if isFile(m[k]) {
			continue
		}
		vals := []any{m[k]}
		if a, ok := m[k].([]any); ok && allScalars(a) {
			vals = a // a repeated field (Mailgun's to, tag)
		}
		for _, v := range vals {
			s, err := partText(v)
			if err != nil {
				return nil, "", junction.Invalid("input."+k, "cannot be encoded as a form field")
			}
			if err := w.WriteField(k, s); err != nil {
				return nil, "", junction.Internal(err)
			}
		}
	}
	for _, k := range keys {
		var files []*File
		switch f := m[k].(type) {
		case *File:
			files = []*File{f}
		case []*File:
			files = f
		}
		for _, f := range files {
			h := textproto.MIMEHeader{}
			name := f.Filename
			if name == "" {
				name = k
			}
			h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": k, "filename": name}))
			h.Set("Content-Type", f.MediaType())
			pw, err := w.CreatePart(h)
			if err != nil {
				return nil, "", junction.Internal(err)
			}
			_, _ = pw.Write(f.Content)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", junction.Internal(err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

func allScalars(a []any) bool {
	for _, e := range a {
		if _, ok := scalarText(e); !ok {
			return false
		}
	}
	return len(a) > 0
}

// encodeRelated writes m as multipart/related: the entries that are not
// files as one JSON part, then the one file (Google's multipart upload).
func encodeRelated(m map[string]any) ([]byte, string, error) {
	meta := map[string]any{}
	var file *File
	for k, v := range m {
		if isFile(v) {
			f, ok := v.(*File)
			if !ok || file != nil {
				return nil, "", junction.Invalid("input."+k, "a multipart_related body takes one file")
			}
			file = f
			continue
		}
		meta[k] = v
	}
	if file == nil {
		return nil, "", junction.Invalid("input", "a multipart_related body needs a file")
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, "", junction.Invalid("input", "cannot be encoded as JSON")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
	if err != nil {
		return nil, "", junction.Internal(err)
	}
	_, _ = pw.Write(mb)
	if pw, err = w.CreatePart(textproto.MIMEHeader{"Content-Type": {file.MediaType()}}); err != nil {
		return nil, "", junction.Internal(err)
	}
	_, _ = pw.Write(file.Content)
	if err := w.Close(); err != nil {
		return nil, "", junction.Internal(err)
	}
	return buf.Bytes(), "multipart/related; boundary=" + w.Boundary(), nil
}

// encodeNDJSON writes an array (or an object holding exactly one array,
// when the body template names more than the array) as one JSON value a
// line.
func encodeNDJSON(v any) ([]byte, error) {
	a, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap && len(m) == 1 {
			for _, e := range m {
				a, ok = e.([]any)
			}
		}
	}
	if !ok {
		return nil, junction.Invalid("input", "an ndjson body must be an array")
	}
	var buf bytes.Buffer
	for i, e := range a {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, junction.Invalid(fmt.Sprintf("input[%d]", i), "cannot be encoded as JSON")
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// binaryFile is the one file of a binary body.
func binaryFile(v any) (*File, error) {
	if f, ok := v.(*File); ok {
		return f, nil
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, e := range m {
			if f, ok := e.(*File); ok {
				return f, nil
			}
		}
	}
	return nil, junction.Invalid("input", "a binary body is one file and nothing else")
}

// headerJSON writes v as compact JSON with every character outside
// printable ASCII escaped, so it can travel in a header (Dropbox calls
// this "HTTP header safe" JSON).
func headerJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r >= 0x20 && r < 0x7f:
			out.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16Surrogates(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.String(), nil
}

func utf16Surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// textual reports whether a body of this content type is text a person
// can read in a log (JSON, XML, forms, text); other bodies, and multipart
// ones that may carry files, are summarised instead.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return contentType == ""
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/x-www-form-urlencoded",
		strings.HasSuffix(mt, "json"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "-ndjson"),
		strings.HasSuffix(mt, "xml"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

// BodySummary stands for a body that is not shown: its size and type.
func BodySummary(contentType string, n int) string {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return "[" + strconv.Itoa(n) + " bytes of " + contentType + " not shown]"
}

// ShowableBody reports whether a body of this content type may be shown
// in a log or debug record as text.
func ShowableBody(contentType string) bool { return textual(contentType) }

// FileResult reads an answer to an operation with output_file as a File:
// its content type from Content-Type, its name from Content-Disposition
// or else the operation's filename template.
func (r *Request) FileResult(resp Response) *File {
	f := &File{Content: resp.Body, Size: len(resp.Body), ContentType: resp.Header.Get("Content-Type")}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		f.Filename = cleanFilename(params["filename"])
	}
	if f.Filename == "" && r.op != nil && r.op.OutputFile != nil && r.op.OutputFile.Filename != "" {
		name, _ := fillTemplate(r.op.OutputFile.Filename, func(n string) (string, bool) {
			v, ok := r.inputs[n]
			if !ok {
				return "", false
			}
			return scalarText(v)
		})
		f.Filename = cleanFilename(name)
	}
	return f
}

// cleanFilename keeps the last element of a name and drops one that is
// not a plain name.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || len(name) > maxFilenameLen || strings.ContainsAny(name, "\r\n\x00\"") || !utf8.ValidString(name) {
		return ""
	}
	return name
}
