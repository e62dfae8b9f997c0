package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

// answer is a transport that answers every request with one fixed
// response, whatever a server would send.
type answer struct {
	status      int
	contentType string
	body        []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{}
	if a.contentType != "" {
		h.Set("Content-Type", a.contentType)
	}
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Header: h,
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), Request: r}, nil
}

// FuzzDecodeProblem feeds the client arbitrary error answers: problem
// documents, JSON of another shape, a proxy's HTML page. Every one must
// become a *junction.Error with a code and a message, so commands can
// always match on ErrorCode and print something, and none may carry the
// client's token.
func FuzzDecodeProblem(f *testing.F) {
	problems := []string{
		`{"type":"about:blank","title":"Not Found","status":404,"detail":"connection not found","code":"not_found","request_id":"r1"}`,
		`{"title":"Unprocessable Entity","status":422,"detail":"is required","code":"validation_failed","field":"name"}`,
		`{"title":"Bad Gateway","status":502,"detail":"the API answered 500","code":"upstream_failed","details":{"execution_id":"e1","attempts":3,"source":"provider"}}`,
		`{"code":7,"detail":["x"],"details":"flat","status":"404"}`,
		`<html><body><h1>502 Bad Gateway</h1></body></html>`,
		`{"detail":"` + strings.Repeat("x", 300) + `"`,
		``,
		`null`,
	}
	types := []string{"application/problem+json", "application/json", "text/html; charset=utf-8", "application/problem+json; charset=utf-8", ""}
	statuses := []int{404, 422, 502, 500, 401, 403, 409, 413, 503, 302, 418}
	for i, p := range problems {
		f.Add(statuses[i%len(statuses)], types[i%len(types)], []byte(p))
	}
	const token = "jct_fuzz-token-that-must-never-show"
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 300 || status > 599 {
			return // only error answers are decoded as problems
		}
		c, err := cli.NewClient("http://junction.test", junction.NewSecret(token),
			&http.Client{Transport: answer{status: status, contentType: contentType, body: body}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Do(context.Background(), "GET", "/api/v1/me", nil, nil)
		var e *junction.Error
		if !errors.As(err, &e) {
			t.Fatalf("status %d: %T %v, want a *junction.Error", status, err, err)
		}
		if e.Code == "" || junction.ErrorMessage(err) == "" {
			t.Fatalf("status %d: error without a code or message: %#v", status, e)
		}
		if !bytes.Contains(body, []byte(token)) && strings.Contains(err.Error()+junction.ErrorMessage(err), token) {
			t.Fatalf("the error shows the client's token: %v", err)
		}
	})
}
