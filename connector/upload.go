package connector

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"junction"
)

// Upload is a chunked upload in progress (see ChunkedUpload): it builds
// each request from the credentials of the moment and reads each answer
// to know what to send next. Like the rest of this package it sends
// nothing: the caller sends Next's request, gives the answer to Read, and
// calls Lost when no answer came. An Upload is used by one goroutine.
type Upload struct {
	d     *Definition
	op    *Operation
	spec  *ChunkedUpload
	vals  map[string]any // the checked inputs, the file and AboveInput left out
	file  *File
	chunk int64

	state   uploadState
	offset  int64 // bytes the server holds
	sending int64 // bytes the request in flight carries
	// session is the session's ID (session style); sessionURL its URL
	// (resumable), checked to be on startHost.
	session    string
	sessionURL *url.URL
	startHost  string
	// restarted is set once an expired resumable session was begun
	// again: a second expiry ends the upload.
	restarted bool
	// parts are a parts upload's part records, from the answers to its
	// parts; processing is set while the API answers its commit with 202.
	parts      []any
	processing bool
	fileSHA1   string
	partSHA1   string
}

type uploadState int

const (
	uploadStart  uploadState = iota // open the session
	uploadChunk                     // send the bytes after offset
	uploadStatus                    // ask where the upload stands (resumable)
	uploadCommit                    // commit the parts (parts)
)

// UploadStatus is what an answer to an upload request means.
type UploadStatus int

const (
	// UploadNext: the upload goes on; send Next. The answer may have
	// moved it no further (a server error to resume from, a status
	// query): the caller bounds how many requests in a row may do so,
	// watching Offset.
	UploadNext UploadStatus = iota
	// UploadDone: the answer is the operation's final answer.
	UploadDone
	// UploadFailed: the answer is an error to report as the API's.
	UploadFailed
)

// uploadVars are the upload's own template values; an operation with a
// chunked upload may have no input of these names.
var uploadVars = []string{"session_id", "offset", "file_size", "file_type", "part_sha1", "file_sha1", "parts"}

// Upload returns the chunked upload r is the first request of, or nil
// when r is the operation's one request. Send the upload's requests
// (Next) instead of r.
func (r *Request) Upload() *Upload { return r.upload }

// chunkedUpload starts the operation's chunked upload when its file is
// larger than the threshold, and returns its first request; nil when the
// file goes in one request. The threshold input is removed from vals
// either way: it is sent nowhere.
func (c *connection) chunkedUpload(op *Operation, vals map[string]any) (*Request, error) {
	cu := op.ChunkedUpload
	above := cu.Above
	if cu.AboveInput != "" {
		if v, ok := vals[cu.AboveInput]; ok {
			n, _ := v.(int64)
			if n < 0 {
				return nil, junction.Invalid("input."+cu.AboveInput, "must not be negative")
			}
			above = n
			delete(vals, cu.AboveInput)
		}
	}
	f, ok := vals[cu.File].(*File)
	if !ok || (above > 0 && int64(len(f.Content)) <= above) {
		return nil, nil
	}
	rest := make(map[string]any, len(vals))
	for k, v := range vals {
		if k != cu.File {
			rest[k] = v
		}
	}
	u := &Upload{d: c.d, op: op, spec: cu, vals: rest, file: f, chunk: cu.ChunkSize}
	if u.chunk <= 0 {
		u.chunk = DefaultChunkSize
	}
	r, err := u.next(c)
	if err != nil {
		return nil, err
	}
	r.upload = u
	return r, nil
}

// Size is the file's size in bytes; Offset how many of them the server
// holds, as far as its answers said.
func (u *Upload) Size() int64   { return int64(len(u.file.Content)) }
func (u *Upload) Offset() int64 { return u.offset }

// Next builds the request to send now, with the credentials c (fresh ones
// after an authentication failure).
func (u *Upload) Next(c Credentials) (*Request, error) {
	conn, err := u.d.bind(c)
	if err != nil {
		return nil, err
	}
	return u.next(conn)
}

func (u *Upload) next(c *connection) (*Request, error) {
	var (
		r   *Request
		err error
	)
	switch u.spec.Style {
	case UploadResumable:
		r, err = u.nextResumable(c)
	case UploadParts:
		r, err = u.nextParts(c)
	default:
		r, err = u.nextSession(c)
	}
	if err != nil {
		return nil, err
	}
	// A session step sent again is how a session resumes (a wrong offset
	// is corrected by the answer), a part sent again replaces itself, and
	// a status query changes nothing: they may be retried, with the
	// client's backoff. A resumable chunk may not: after an interruption
	// the API is asked where it stands.
	r.RetrySafe = u.state == uploadStatus || u.spec.Style == UploadSession || (u.spec.Style == UploadParts && u.state == uploadChunk)
	r.op = u.op
	r.inputs = u.vals
	return r, nil
}

// values are the inputs plus the upload's own template values.
func (u *Upload) values() map[string]any {
	m := make(map[string]any, len(u.vals)+len(uploadVars))
	for k, v := range u.vals {
		m[k] = v
	}
	m["session_id"] = u.session
	m["offset"] = u.offset
	m["file_size"] = u.Size()
	m["file_type"] = u.file.MediaType()
	m["part_sha1"] = u.partSHA1
	m["file_sha1"] = u.fileSHA1
	m["parts"] = slices.Clone(u.parts)
	return m
}

// chunkEnd is where the chunk starting at offset ends: ChunkSize further,
// or the end of the file.
func (u *Upload) chunkEnd() int64 { return min(u.offset+u.chunk, u.Size()) }

func (u *Upload) nextResumable(c *connection) (*Request, error) {
	size := u.Size()
	switch u.state {
	case uploadStart:
		op := *u.op
		op.ChunkedUpload, op.BodyEncoding = nil, BodyJSON
		op.Inputs = nil
		for _, in := range u.op.Inputs {
			if in.Name != u.spec.File && in.Name != u.spec.AboveInput {
				op.Inputs = append(op.Inputs, in)
			}
		}
		if st := u.spec.Start; st != nil {
			op.Query = mergeTemplates(u.op.Query, st.Query)
			op.Headers = mergeTemplates(u.op.Headers, st.Headers)
		}
		r, err := c.buildChecked(&op, u.values())
		if err != nil {
			return nil, err
		}
		if r.Body == nil {
			r.Body = []byte("{}")
			r.Header.Set("Content-Type", "application/json")
		}
		u.startHost = r.URL.Host
		return r, nil
	case uploadStatus:
		r, err := u.sessionRequest(c, nil)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		return r, nil
	}
	end := u.chunkEnd()
	r, err := u.sessionRequest(c, u.file.Content[u.offset:end])
	if err != nil {
		return nil, err
	}
	if size == 0 {
		r.Header.Set("Content-Range", "bytes */0")
	} else {
		r.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", u.offset, end-1, size))
	}
	u.sending = end - u.offset
	return r, nil
}

// sessionRequest is a PUT of body to the resumable session's URL, with
// the connection's credentials. The URL's query (its upload ID) is a
// capability to write the file, so logs show it redacted.
func (u *Upload) sessionRequest(c *connection, body []byte) (*Request, error) {
	r := c.newRequest(http.MethodPut, "")
	su := *u.sessionURL
	r.URL = &su
	r.Body = body
	if r.Body == nil {
		r.Body = []byte{}
	}
	r.Header.Set("Content-Type", u.file.MediaType())
	for k := range su.Query() {
		r.sensitiveQuery = append(r.sensitiveQuery, k)
	}
	if err := c.applyAuth(r); err != nil {
		return nil, err
	}
	return r, nil
}

func (u *Upload) nextSession(c *connection) (*Request, error) {
	// The last chunk always goes with Finish, so that every chunk before
	// it is a whole ChunkSize: a file of one chunk starts empty.
	step, end := u.spec.Append, u.chunkEnd()
	switch {
	case u.state == uploadStart && u.Size() <= u.chunk:
		step, end = u.spec.Start, u.offset
	case u.state == uploadStart:
		step = u.spec.Start
	case u.Size()-u.offset <= u.chunk:
		step, end = u.spec.Finish, u.Size()
	}
	r, err := u.stepRequest(c, step)
	if err != nil {
		return nil, err
	}
	return u.carry(r, end), nil
}

// stepRequest builds step's request from the upload's values, with its
// JSON body when it has one.
func (u *Upload) stepRequest(c *connection, step *UploadStep) (*Request, error) {
	op := &Operation{
		Method:      step.Method,
		BaseURL:     step.BaseURL,
		Path:        step.Path,
		Query:       step.Query,
		Headers:     step.Headers,
		JSONHeaders: step.JSONHeaders,
		Body:        step.Body,
	}
	if op.Method == "" {
		op.Method = http.MethodPost
	}
	if op.BaseURL == "" {
		op.BaseURL = u.op.BaseURL
	}
	return c.buildChecked(op, u.values())
}

// carry makes r carry the file's bytes from the offset to end.
func (u *Upload) carry(r *Request, end int64) *Request {
	r.Body = u.file.Content[u.offset:end]
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/octet-stream")
	}
	u.sending = end - u.offset
	return r
}

// nextParts builds a parts upload's request: the start, the part after
// the offset, or the commit. A part's digest is computed before its
// templates are filled, the whole file's once.
func (u *Upload) nextParts(c *connection) (*Request, error) {
	switch u.state {
	case uploadStart:
		u.sending = 0
		return u.stepRequest(c, u.spec.Start)
	case uploadCommit:
		if u.fileSHA1 == "" {
			u.fileSHA1 = sha1Base64(u.file.Content)
		}
		u.sending = 0
		return u.stepRequest(c, u.spec.Finish)
	}
	end := u.chunkEnd()
	u.partSHA1 = sha1Base64(u.file.Content[u.offset:end])
	r, err := u.stepRequest(c, u.spec.Append)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", u.offset, end-1, u.Size()))
	return u.carry(r, end), nil
}

func sha1Base64(b []byte) string {
	sum := sha1.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// mergeTemplates is base with over's entries added or replacing base's.
func mergeTemplates(base, over map[string]string) map[string]string {
	m := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// Lost says the last request got no answer (the connection dropped, the
// time ran out): a resumable upload asks where it stands next; a session
// sends the same step again, and a wrong offset will be corrected.
func (u *Upload) Lost() {
	if u.spec.Style == UploadResumable && u.state != uploadStart {
		u.state = uploadStatus
	}
}

// Capabilities are the values in an answer to the request Next built
// last that grant access to the upload by themselves: a resumable
// session's URL and the query values it adds (its upload ID), with which
// anyone may write the file. They are to be masked wherever the answer
// is shown, like credentials.
func (u *Upload) Capabilities(resp Response) []junction.Secret {
	loc := resp.Header.Get("Location")
	if u.spec.Style != UploadResumable || u.state != uploadStart || loc == "" {
		return nil
	}
	out := []junction.Secret{junction.NewSecret(loc)}
	lu, err := url.Parse(loc)
	if err != nil {
		return out
	}
	for k, vs := range lu.Query() {
		if _, sent := u.op.Query[k]; sent {
			continue
		}
		if st := u.spec.Start; st != nil {
			if _, sent := st.Query[k]; sent {
				continue
			}
		}
		for _, v := range vs {
			out = append(out, junction.NewSecret(v))
		}
	}
	return out
}

// Read takes the answer to the request Next built last and says what it
// means. An error is an answer that breaks the protocol (a session URL on
// another host, no session ID), reported as the API's error.
func (u *Upload) Read(resp Response) (UploadStatus, error) {
	switch u.spec.Style {
	case UploadResumable:
		return u.readResumable(resp)
	case UploadParts:
		return u.readParts(resp)
	}
	return u.readSession(resp)
}

// Processing says the API answered the commit of a parts upload with
// 202: it is still putting the parts together, and the commit is to be
// sent again after the answer's Retry-After.
func (u *Upload) Processing() bool { return u.processing }

func (u *Upload) readParts(resp Response) (UploadStatus, error) {
	s := resp.StatusCode
	u.processing = false
	switch {
	case s == http.StatusTooManyRequests || s >= 500:
		return UploadNext, nil
	case s < 200 || s > 299:
		return UploadFailed, nil
	}
	switch u.state {
	case uploadStart:
		doc, err := decodeJSON(resp.Body)
		v, ok := lookupPath(doc, u.spec.SessionID)
		id, isText := v.(string)
		if err != nil || !ok || !isText || id == "" {
			return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered the start of an upload session without its ID", u.d.DisplayName)
		}
		if u.spec.PartSize != "" {
			v, _ := lookupPath(doc, u.spec.PartSize)
			n, err := checkType(TypeInteger, v)
			size, _ := n.(int64)
			if err != nil || size <= 0 {
				return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered the start of an upload session without a part size", u.d.DisplayName)
			}
			u.chunk = size
		}
		u.session, u.state, u.offset, u.parts = id, uploadChunk, 0, nil
		if u.Size() == 0 {
			u.state = uploadCommit
		}
		return UploadNext, nil
	case uploadChunk:
		if u.spec.Part != "" {
			doc, err := decodeJSON(resp.Body)
			part, ok := lookupPath(doc, u.spec.Part)
			if _, isObject := part.(map[string]any); err != nil || !ok || !isObject {
				return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered a part of an upload without its record", u.d.DisplayName)
			}
			u.parts = append(u.parts, part)
		}
		u.offset += u.sending
		if u.offset >= u.Size() {
			u.state = uploadCommit
		}
		return UploadNext, nil
	}
	if s == http.StatusAccepted {
		u.processing = true
		return UploadNext, nil
	}
	return UploadDone, nil
}

func (u *Upload) readResumable(resp Response) (UploadStatus, error) {
	s := resp.StatusCode
	if u.state == uploadStart {
		if s < 200 || s > 299 {
			return UploadFailed, nil
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.String() == "" {
			return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered the start of an upload without a session URL", u.d.DisplayName)
		}
		start := &url.URL{Scheme: "https", Host: u.startHost}
		loc = start.ResolveReference(loc)
		if loc.Scheme != "https" || loc.Host != u.startHost || loc.User != nil {
			// The credentials go with every chunk: only to the host that
			// was asked.
			return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered an upload session URL on another host (%s)", u.d.DisplayName, loc.Host)
		}
		u.sessionURL, u.state, u.offset = loc, uploadChunk, 0
		return UploadNext, nil
	}
	switch {
	case s == http.StatusOK || s == http.StatusCreated:
		u.offset = u.Size()
		return UploadDone, nil
	case s == http.StatusPermanentRedirect:
		held, err := rangeEnd(resp.Header.Get("Range"))
		if err != nil || held > u.Size() {
			return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered an upload with an unreadable Range", u.d.DisplayName)
		}
		u.offset, u.state = held, uploadChunk
		return UploadNext, nil
	case (s == http.StatusNotFound || s == http.StatusGone) && !u.restarted:
		// The session expired: the upload starts again, once.
		u.state, u.offset, u.sessionURL, u.restarted = uploadStart, 0, nil, true
		return UploadNext, nil
	case s == http.StatusTooManyRequests || s >= 500:
		u.state = uploadStatus
		return UploadNext, nil
	}
	return UploadFailed, nil
}

// rangeEnd reads a Range header "bytes=0-n" as the count of bytes held,
// n+1; no header means none.
func rangeEnd(h string) (int64, error) {
	if h == "" {
		return 0, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 || first != "0" {
		return 0, fmt.Errorf("range %q", h)
	}
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("range %q", h)
	}
	return n + 1, nil
}

func (u *Upload) readSession(resp Response) (UploadStatus, error) {
	s := resp.StatusCode
	switch {
	case s >= 200 && s <= 299:
		if u.state == uploadStart {
			doc, err := decodeJSON(resp.Body)
			v, ok := lookupPath(doc, u.spec.SessionID)
			id, isText := v.(string)
			if err != nil || !ok || !isText || id == "" {
				return UploadFailed, junction.Errorf(junction.EPROVIDER, "%s answered the start of an upload session without its ID", u.d.DisplayName)
			}
			u.session, u.state = id, uploadChunk
			u.offset += u.sending
			return UploadNext, nil
		}
		if u.Size()-u.offset <= u.chunk {
			u.offset = u.Size()
			return UploadDone, nil
		}
		u.offset += u.sending
		return UploadNext, nil
	case s >= 400 && s <= 499 && len(u.spec.CorrectOffset) > 0 && u.state != uploadStart:
		doc, err := decodeJSON(resp.Body)
		if err != nil {
			return UploadFailed, nil
		}
		var v any
		found := false
		for _, p := range u.spec.CorrectOffset {
			if v, found = lookupPath(doc, p); found {
				break
			}
		}
		if !found {
			return UploadFailed, nil
		}
		n, err := checkType(TypeInteger, v)
		held, _ := n.(int64)
		if err != nil || held < 0 || held > u.Size() {
			return UploadFailed, nil
		}
		u.offset = held
		return UploadNext, nil
	case s == http.StatusTooManyRequests || s >= 500:
		return UploadNext, nil
	}
	return UploadFailed, nil
}
