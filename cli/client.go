package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"junction"
)

// maxResponseBytes bounds how much of a response the client reads, so a
// misbehaving server cannot make the CLI eat all memory.
const maxResponseBytes = 32 << 20

// Client is a small typed client for Junction's REST API. It is safe for
// concurrent use.
type Client struct {
	base  *url.URL
	token junction.Secret
	http  *http.Client
	agent string
}

// NewClient returns a client for the server at serverURL (for example
// "http://127.0.0.1:8080"), authenticating with token. A nil hc uses
// http.DefaultClient.
func NewClient(serverURL string, token junction.Secret, hc *http.Client) (*Client, error) {
	if serverURL == "" {
		return nil, junction.Errorf(junction.EINVALID, "no server given: use --server, JUNCTION_SERVER or junction login")
	}
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, junction.Errorf(junction.EINVALID, "server %q is not an http:// or https:// URL", serverURL)
	}
	if u.User != nil {
		return nil, junction.Errorf(junction.EINVALID, "server URL must not carry credentials; use --token")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, token: token, http: hc, agent: "junction-cli"}, nil
}

// Server returns the server URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// Do sends one request. path is relative to the server (it starts with
// /api/v1 and may carry a query string). body, when not nil, is sent as JSON.
// out, when not nil, receives the decoded JSON response; pass a
// *json.RawMessage to keep the server's JSON as is.
//
// A problem document answer is returned as a *junction.Error carrying the
// server's code and detail; a server that cannot be reached yields
// EUNAVAILABLE.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	ref, err := url.Parse(path)
	if err != nil {
		return junction.Errorf(junction.EINVALID, "bad request path %q", path)
	}
	resp, err := c.send(ctx, method, ref, body, "application/json, application/problem+json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("read response from %s", c.base), Err: err}
	}
	if resp.StatusCode >= 300 {
		return decodeProblem(resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], data...)
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", method, ref.Path, err)
	}
	return nil
}

// send makes the request and returns the answer, whatever its status; a
// server that cannot be reached yields EUNAVAILABLE.
func (c *Client) send(ctx context.Context, method string, ref *url.URL, body any, accept string) (*http.Response, error) {
	u := c.base.ResolveReference(&url.URL{Path: c.base.Path + ref.Path, RawQuery: ref.RawQuery})
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.agent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !c.token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The URL error names the server, never the token: the token is
		// in a header, not in the URL.
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("cannot reach %s", c.base), Err: err}
	}
	return resp, nil
}

// Stream copies the answer of GET path with query q to w as it arrives,
// without holding it: exports have no size limit. accept names the media
// type wanted. An error answer is returned as Do returns it.
func (c *Client) Stream(ctx context.Context, path string, q url.Values, accept string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, &url.URL{Path: path, RawQuery: q.Encode()}, nil, accept+", application/problem+json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		return decodeProblem(resp, data)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("read the export from %s; what was written is incomplete", c.base), Err: err}
	}
	return nil
}

// Problem is an RFC 9457 problem document as Junction's API renders it.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code,omitempty"`
	Field  string `json:"field,omitempty"`
	// Details carries the extra facts some errors hold.
	Details map[string]any `json:"details,omitempty"`
}

// decodeProblem turns an error answer into a *junction.Error. Answers that are
// not problem documents (a proxy's HTML page) still yield a code derived from
// the status, so callers can always match on ErrorCode.
func decodeProblem(resp *http.Response, data []byte) error {
	var p Problem
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/problem+json" || ct == "application/json" {
		_ = json.Unmarshal(data, &p)
	}
	e := &junction.Error{Code: p.Code, Message: p.Detail, Field: p.Field, Details: p.Details}
	if e.Message == "" {
		e.Message = p.Title
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("server answered %s", resp.Status)
	}
	if e.Code == "" {
		e.Code = codeForStatus(resp.StatusCode)
	}
	return e
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return junction.EINVALID
	case http.StatusUnauthorized:
		return junction.EUNAUTHENTICATED
	case http.StatusForbidden:
		return junction.EPERMISSIONDENIED
	case http.StatusNotFound:
		return junction.ENOTFOUND
	case http.StatusConflict:
		return junction.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return junction.ETOOLARGE
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return junction.EUNAVAILABLE
	}
	return junction.EINTERNAL
}

// ListPage is one page of a list answer.
type ListPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// List fetches a list at path with query q. With all set it follows
// next_cursor until the server has no more pages and returns every item;
// otherwise it returns the first page and its cursor.
func (c *Client) List(ctx context.Context, path string, q url.Values, all bool) (ListPage, error) {
	var out ListPage
	q = cloneValues(q)
	for {
		p := path
		if enc := q.Encode(); enc != "" {
			p += "?" + enc
		}
		var page ListPage
		if err := c.Do(ctx, http.MethodGet, p, nil, &page); err != nil {
			return ListPage{}, err
		}
		out.Items = append(out.Items, page.Items...)
		out.NextCursor = page.NextCursor
		if !all || page.NextCursor == "" {
			return out, nil
		}
		if q.Get("cursor") == page.NextCursor {
			return ListPage{}, errors.New("server repeated the same page cursor")
		}
		q.Set("cursor", page.NextCursor)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
