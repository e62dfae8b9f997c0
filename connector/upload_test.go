package connector_test

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

func bigFile(n int, contentType string) map[string]any {
	return map[string]any{"content": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", n))), "content_type": contentType}
}

// startUpload builds the activity and returns its chunked upload.
func startUpload(t *testing.T, d *connector.Definition, cred connector.Credentials, activity string, input map[string]any) *connector.Upload {
	t.Helper()
	r, err := d.BuildActivity(cred, activity, input)
	if err != nil {
		t.Fatal(err)
	}
	up := r.Upload()
	if up == nil {
		t.Fatal("the file is sent in one request, want a chunked upload")
	}
	return up
}

func next(t *testing.T, up *connector.Upload, cred connector.Credentials) *connector.Request {
	t.Helper()
	r, err := up.Next(cred)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// https://developers.google.com/workspace/drive/api/guides/manage-uploads#resumable
func TestContractGoogleDriveResumableUpload(t *testing.T) {
	d := mustDefinition(t, "google-drive")
	cred := googleCred()
	up := startUpload(t, d, cred, "upload_file", map[string]any{"file": bigFile(5_000_001, "application/pdf"), "name": "Scan.pdf"})
	r := next(t, up, cred)
	want := "POST https://www.googleapis.com/upload/drive/v3/files?fields=id%2Cname%2CmimeType%2Cparents%2Csize%2CwebViewLink&supportsAllDrives=true&uploadType=resumable" +
		"\nAccept: application/json\nAuthorization: [redacted]\nContent-Type: application/json; charset=UTF-8" +
		"\nX-Upload-Content-Length: 5000001\nX-Upload-Content-Type: application/pdf\n\n" + `{"name":"Scan.pdf"}`
	if r.String() != want {
		t.Errorf("start\n%s\nwant\n%s", r, want)
	}
	session := "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=xa298sd_sdlkj2"
	if st, err := up.Read(connector.Response{StatusCode: 200, Header: http.Header{"Location": {session}}}); st != connector.UploadNext || err != nil {
		t.Fatalf("start answer: %v %v", st, err)
	}
	r = next(t, up, cred)
	if r.Method != "PUT" || r.URL.String() != session || len(r.Body) != 5000001 {
		t.Errorf("chunk %s %s %s (%d bytes)", r.Method, r.URL, r.Header.Get("Content-Range"), len(r.Body))
	}
	if r.Header.Get("Content-Range") != "bytes 0-5000000/5000001" || r.Header.Get("Authorization") != "Bearer ya29.example" {
		t.Errorf("chunk headers %v", r.Header)
	}
	// The upload ID is a capability: logs show it redacted.
	if strings.Contains(r.String(), "xa298sd_sdlkj2") {
		t.Errorf("the request shows its upload ID: %s", r)
	}
	if len(up.Capabilities(connector.Response{StatusCode: 200, Header: http.Header{"Location": {session}}})) != 0 {
		t.Error("capabilities read from an answer to a chunk")
	}
}

// https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-start
func TestContractDropboxUploadSession(t *testing.T) {
	d := mustDefinition(t, "dropbox")
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "sl.example")}
	const content = "https://content.dropboxapi.com/2"
	t.Run("ThresholdInputAlone", func(t *testing.T) {
		// Below the threshold the input is sent nowhere.
		r, err := d.BuildActivity(cred, "upload", map[string]any{"file": fileJSON("a.txt", "text/plain", "hi"), "path": "/a.txt", "chunked_above": 10})
		if err != nil || r.Upload() != nil {
			t.Fatalf("%v %v", r, err)
		}
		if strings.Contains(r.String(), "chunked_above") {
			t.Errorf("the threshold was sent: %s", r)
		}
	})
	// A file of one chunk: start empty, finish with the file.
	up := startUpload(t, d, cred, "upload", map[string]any{"file": fileJSON("a.txt", "text/plain", "hello"), "path": "/a.txt", "mode": "overwrite", "chunked_above": 0})
	r := next(t, up, cred)
	want := "POST " + content + "/files/upload_session/start\nAccept: application/json\nAuthorization: [redacted]" +
		"\nContent-Type: application/octet-stream\nDropbox-Api-Arg: " + `{"close":false}`
	if r.String() != want {
		t.Errorf("start\n%s\nwant\n%s", r, want)
	}
	if st, err := up.Read(connector.Response{StatusCode: 200, Body: []byte(`{"session_id":"1234faaf0678bcde"}`)}); st != connector.UploadNext || err != nil {
		t.Fatalf("start answer: %v %v", st, err)
	}
	r = next(t, up, cred)
	want = "POST " + content + "/files/upload_session/finish\nAccept: application/json\nAuthorization: [redacted]" +
		"\nContent-Type: application/octet-stream\nDropbox-Api-Arg: " +
		`{"commit":{"mode":"overwrite","path":"/a.txt"},"cursor":{"offset":0,"session_id":"1234faaf0678bcde"}}`
	if !strings.HasPrefix(r.String(), want) || string(r.Body) != "hello" {
		t.Errorf("finish\n%s\nwant\n%s", r, want)
	}
	// finish nests the offset error under lookup_failed.
	st, err := up.Read(connector.Response{StatusCode: 409, Body: []byte(`{"error_summary":"lookup_failed/incorrect_offset/..","error":{".tag":"lookup_failed","lookup_failed":{".tag":"incorrect_offset","correct_offset":5}}}`)})
	if st != connector.UploadNext || err != nil || up.Offset() != 5 {
		t.Fatalf("offset error: %v %v, offset %d", st, err, up.Offset())
	}
	if r := next(t, up, cred); len(r.Body) != 0 || !strings.Contains(r.Header.Get("Dropbox-API-Arg"), `"offset":5`) {
		t.Errorf("after the correction: %s", r)
	}
	if st, _ := up.Read(connector.Response{StatusCode: 409, Body: []byte(`{"error_summary":"path/conflict/..","error":{".tag":"path"}}`)}); st != connector.UploadFailed {
		t.Errorf("another conflict: %v, want failed", st)
	}
}

// The resumable protocol's answers, each from a fresh upload past its
// start.
func TestUploadResumableAnswers(t *testing.T) {
	d := mustDefinition(t, "google-drive")
	cred := googleCred()
	const session = "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=u1"
	begin := func(t *testing.T) *connector.Upload {
		up := startUpload(t, d, cred, "upload_file", map[string]any{"file": bigFile(20<<20, "application/zip"), "name": "a.zip"})
		next(t, up, cred)
		if _, err := up.Read(connector.Response{StatusCode: 200, Header: http.Header{"Location": {session}}}); err != nil {
			t.Fatal(err)
		}
		next(t, up, cred)
		return up
	}
	for _, tc := range []struct {
		name   string
		resp   connector.Response
		status connector.UploadStatus
		offset int64
		// what the next request sends
		contentRange string
	}{
		{"ResumeIncomplete", connector.Response{StatusCode: 308, Header: http.Header{"Range": {"bytes=0-8388607"}}}, connector.UploadNext, 8 << 20, "bytes 8388608-16777215/20971520"},
		{"PartHeld", connector.Response{StatusCode: 308, Header: http.Header{"Range": {"bytes=0-262143"}}}, connector.UploadNext, 256 << 10, "bytes 262144-8650751/20971520"},
		{"NothingHeld", connector.Response{StatusCode: 308}, connector.UploadNext, 0, "bytes 0-8388607/20971520"},
		{"ServerError", connector.Response{StatusCode: 503}, connector.UploadNext, 0, "bytes */20971520"},
		{"Created", connector.Response{StatusCode: 201, Body: []byte(`{"id":"1"}`)}, connector.UploadDone, 20 << 20, ""},
		{"Forbidden", connector.Response{StatusCode: 403}, connector.UploadFailed, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := begin(t)
			st, err := up.Read(tc.resp)
			if err != nil || st != tc.status || up.Offset() != tc.offset {
				t.Fatalf("got %v %v offset %d, want %v offset %d", st, err, up.Offset(), tc.status, tc.offset)
			}
			if tc.contentRange != "" {
				if r := next(t, up, cred); r.Header.Get("Content-Range") != tc.contentRange {
					t.Errorf("next Content-Range %q, want %q", r.Header.Get("Content-Range"), tc.contentRange)
				}
			}
		})
	}
	t.Run("LostAsksStatus", func(t *testing.T) {
		up := begin(t)
		up.Lost()
		r := next(t, up, cred)
		if r.Header.Get("Content-Range") != "bytes */20971520" || len(r.Body) != 0 || !r.RetrySafe {
			t.Errorf("status query %s", r)
		}
	})
	t.Run("ExpiredStartsOnceAgain", func(t *testing.T) {
		up := begin(t)
		if st, _ := up.Read(connector.Response{StatusCode: 404}); st != connector.UploadNext {
			t.Fatalf("first expiry: %v", st)
		}
		if r := next(t, up, cred); r.Method != "POST" || r.URL.Query().Get("uploadType") != "resumable" {
			t.Fatalf("after expiry: %s", r)
		}
		if _, err := up.Read(connector.Response{StatusCode: 200, Header: http.Header{"Location": {session}}}); err != nil {
			t.Fatal(err)
		}
		next(t, up, cred)
		if st, _ := up.Read(connector.Response{StatusCode: 404}); st != connector.UploadFailed {
			t.Errorf("second expiry: %v, want failed", st)
		}
	})
	// The credentials go with every chunk, so the session must be where
	// the upload was started.
	t.Run("SessionOnAnotherHost", func(t *testing.T) {
		up := startUpload(t, d, cred, "upload_file", map[string]any{"file": bigFile(5_000_001, ""), "name": "a"})
		next(t, up, cred)
		for _, loc := range []string{"https://evil.example/upload?upload_id=1", "http://www.googleapis.com/upload", ""} {
			_, err := up.Read(connector.Response{StatusCode: 200, Header: http.Header{"Location": {loc}}})
			if junction.ErrorCode(err) != junction.EPROVIDER {
				t.Errorf("Location %q: %v, want provider_error", loc, err)
			}
		}
	})
}

func TestValidateChunkedUpload(t *testing.T) {
	const def = `key: chunks
display_name: Chunks
version: 1.0.0
base_url: https://api.example.com
auth: [{type: bearer, fields: [{name: token, type: secret, required: true}]}]
activities:
  - name: upload
    method: POST
    path: /files
    body_encoding: binary
    inputs:
      - {name: file, type: file, required: true}
      - {name: path, type: string, in: query}
      - {name: above, type: integer}
    chunked_upload:
%s
`
	for _, tc := range []struct{ name, block, want string }{
		{"OK", "      {style: session, file: file, above_input: above, chunk_multiple: 1024, chunk_size: 4096, session_id: id, start: {path: /s}, append: {path: /a, query: {o: '{offset}'}}, finish: {path: /f, json_headers: {Arg: {id: '{session_id}', path: '{path}'}}}}", ""},
		{"Style", "      {style: parallel, file: file, above_input: above}", `unknown value "parallel"`},
		{"NotAFile", "      {style: resumable, file: path}", "must name a file input"},
		{"ChunkMultiple", "      {style: resumable, file: file, chunk_size: 1000, chunk_multiple: 256}", "must be a multiple of chunk_multiple"},
		{"SessionSteps", "      {style: session, file: file, session_id: id, start: {path: /s}}", "is required for a session upload"},
		{"UnknownPlaceholder", "      {style: session, file: file, session_id: id, start: {path: /s}, append: {path: /a, headers: {X-At: '{position}'}}, finish: {path: /f}}", "undeclared field"},
		{"ResumableStartPath", "      {style: resumable, file: file, start: {path: /other}}", "only query and headers may change"},
		{"AboveInput", "      {style: resumable, file: file, above_input: path}", "optional integer input"},
		{"PartsOK", "      {style: parts, file: file, above_input: above, session_id: id, part_size: part_size, part: part, start: {path: /s, body: {size: '{file_size}'}}, append: {method: PUT, path: '/s/{session_id}', headers: {Digest: 'sha={part_sha1}'}}, finish: {path: '/s/{session_id}/commit', headers: {Digest: 'sha={file_sha1}'}, body: {parts: '{parts}'}}}", ""},
		{"PartsAppendBody", "      {style: parts, file: file, session_id: id, start: {path: /s}, append: {path: /a, body: {x: '{path}'}}, finish: {path: /f}}", "only a parts upload's start and finish have a body"},
		{"PartsSteps", "      {style: parts, file: file, session_id: id, start: {path: /s}, append: {path: /a}}", "is required for a parts upload"},
		{"PartsCorrectOffset", "      {style: parts, file: file, session_id: id, correct_offset: [x], start: {path: /s}, append: {path: /a}, finish: {path: /f}}", "is for session uploads"},
		{"PartsSessionID", "      {style: parts, file: file, start: {path: /s}, append: {path: /a}, finish: {path: /f}}", "session_id: is required"},
		{"PartOnSession", "      {style: session, file: file, session_id: id, part: part, start: {path: /s}, append: {path: /a}, finish: {path: /f}}", "part and part_size are for parts uploads"},
		{"SessionBody", "      {style: session, file: file, session_id: id, start: {path: /s, body: {a: b}}, append: {path: /a}, finish: {path: /f}}", "only a parts upload's start and finish have a body"},
		{"PartsBodyPlaceholder", "      {style: parts, file: file, session_id: id, start: {path: /s, body: {a: '{nothing}'}}, append: {path: /a}, finish: {path: /f}}", "undeclared field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connector.Parse([]byte(strings.Replace(def, "%s", tc.block, 1)))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// https://developer.box.com/guides/uploads/chunked/: the session's start
// names the folder, size and name; each part carries Content-Range and
// the base64 SHA-1 of its bytes in Digest; the commit lists the parts'
// records as their answers gave them, with the whole file's digest, and
// is sent again while Box answers 202.
func TestContractBoxUploadSession(t *testing.T) {
	d := mustDefinition(t, "box")
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "box-dev-token")}
	content := strings.Repeat("x", 2500)
	up := startUpload(t, d, cred, "upload_file", map[string]any{"file": bigFile(2500, "application/pdf"), "name": "Scan.pdf", "parent_id": "11446498", "chunked_above": 1000})
	r := next(t, up, cred)
	if got, want := r.String(), "POST https://upload.box.com/api/2.0/files/upload_sessions\nAccept: application/json\nAuthorization: [redacted]\nContent-Type: application/json\n\n"+
		`{"file_name":"Scan.pdf","file_size":2500,"folder_id":"11446498"}`; got != want {
		t.Errorf("start\n%s\nwant\n%s", got, want)
	}
	answer := func(status int, body string) connector.UploadStatus {
		t.Helper()
		st, err := up.Read(connector.Response{StatusCode: status, Header: http.Header{}, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	answer(201, `{"id":"D5E3F7A","type":"upload_session","part_size":1024,"total_parts":3}`)
	digest := func(s string) string {
		sum := sha1.Sum([]byte(s))
		return "sha=" + base64.StdEncoding.EncodeToString(sum[:])
	}
	var records []string
	for i, rng := range []string{"bytes 0-1023/2500", "bytes 1024-2047/2500", "bytes 2048-2499/2500"} {
		r = next(t, up, cred)
		first, last := i*1024, min(i*1024+1024, 2500)
		if r.Method != "PUT" || r.URL.String() != "https://upload.box.com/api/2.0/files/upload_sessions/D5E3F7A" || !r.RetrySafe ||
			r.Header.Get("Content-Range") != rng || r.Header.Get("Digest") != digest(content[first:last]) ||
			r.Header.Get("Content-Type") != "application/octet-stream" || string(r.Body) != content[first:last] {
			t.Fatalf("part %d: %s %s %v (%d bytes)", i, r.Method, r.URL, r.Header, len(r.Body))
		}
		rec := fmt.Sprintf(`{"offset":%d,"part_id":"BFDF5E%02d","sha1":"x","size":%d}`, first, i, last-first)
		records = append(records, rec)
		answer(200, `{"part":`+rec+`}`)
	}
	r = next(t, up, cred)
	if r.URL.String() != "https://upload.box.com/api/2.0/files/upload_sessions/D5E3F7A/commit" || r.Header.Get("Digest") != digest(content) ||
		string(r.Body) != `{"parts":[`+strings.Join(records, ",")+`]}` {
		t.Fatalf("commit %s\n%s", r, r.Body)
	}
	if answer(202, "") != connector.UploadNext || !up.Processing() {
		t.Fatal("a 202 to the commit does not ask for it again")
	}
	if r2 := next(t, up, cred); string(r2.Body) != string(r.Body) || r2.URL.String() != r.URL.String() {
		t.Fatalf("the commit sent again differs: %s", r2)
	}
	if answer(201, `{"entries":[{"id":"1"}]}`) != connector.UploadDone || up.Processing() {
		t.Fatal("the commit's 201 does not end the upload")
	}
	t.Run("ErrNoPartSize", func(t *testing.T) {
		up := startUpload(t, d, cred, "upload_file", map[string]any{"file": bigFile(2500, "text/plain"), "name": "a.txt", "chunked_above": 0})
		next(t, up, cred)
		if _, err := up.Read(connector.Response{StatusCode: 201, Body: []byte(`{"id":"S1"}`)}); !junction.IsCode(err, junction.EPROVIDER) {
			t.Errorf("a session without part_size: %v", err)
		}
	})
}
