package connector

import (
	"net/url"
	"sort"
	"strings"

	"junction"
)

// WebhookFormatForm reads a delivery's body as a form
// (application/x-www-form-urlencoded), as Mailchimp sends it
// (https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/).
const WebhookFormatForm = "form"

// decodeBody decodes a delivery's body per the connector's format.
func (wh *Webhooks) decodeBody(body []byte) (any, error) {
	if wh.Format != WebhookFormatForm {
		doc, err := decodeJSON(body)
		if err != nil {
			return nil, junction.Invalid("body", "the webhook body is not JSON")
		}
		return doc, nil
	}
	doc, err := decodeForm(string(body))
	if err != nil {
		return nil, junction.Invalid("body", "the webhook body is not a form")
	}
	return doc, nil
}

// decodeForm reads a form into the object its bracketed keys describe:
// a[b][c]=v sets {"a": {"b": {"c": "v"}}}. A key given twice keeps its
// first value; a key that is both a value and an object (a=1&a[b]=2)
// keeps the one given first in sorted order, so the result does not hang
// on the order of the body.
func decodeForm(body string) (map[string]any, error) {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	doc := map[string]any{}
	for _, k := range keys {
		path := formPath(k)
		cur := doc
		for i, step := range path {
			if i == len(path)-1 {
				if _, taken := cur[step]; !taken {
					cur[step] = vals[k][0]
				}
				break
			}
			next, ok := cur[step].(map[string]any)
			if !ok {
				if _, taken := cur[step]; taken {
					break // a value already: the object is dropped
				}
				next = map[string]any{}
				cur[step] = next
			}
			cur = next
		}
	}
	return doc, nil
}

// formPath splits data[merges][FNAME] into data, merges, FNAME; a key
// without brackets, or with unbalanced ones, is one step.
func formPath(key string) []string {
	name, rest, ok := strings.Cut(key, "[")
	if !ok || name == "" || !strings.HasSuffix(rest, "]") {
		return []string{key}
	}
	path := []string{name}
	for _, part := range strings.Split(strings.TrimSuffix(rest, "]"), "][") {
		if part == "" || strings.ContainsAny(part, "[]") {
			return []string{key}
		}
		path = append(path, part)
	}
	return path
}

// webhookFormat checks the body format.
func (v *validator) webhookFormat(p string, wh *Webhooks) {
	switch wh.Format {
	case "", "json", WebhookFormatForm:
	default:
		v.add(p+".format", "must be json or form")
	}
	if wh.Format == WebhookFormatForm && wh.EventsPath != "" {
		v.add(p+".events_path", "a form carries one event")
	}
}
