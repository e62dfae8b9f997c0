package connector_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
)

// headerLines renders request headers as wire does: sorted, one per line,
// each preceded by a newline. Cases list the connector's fixed headers once
// and add the request's own.
func headerLines(lines ...string) string {
	s := append([]string(nil), lines...)
	sort.Strings(s)
	return "\n" + strings.Join(s, "\n")
}

// The cases below follow each vendor's API reference, named above each
// case; where the shared specs folder holds the vendor's own description, the
// operations are also checked against it (TestVendorDescriptions).

func TestContractAnthropic(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "sk-ant-api03-example")}
	base := []string{"Accept: application/json", "Anthropic-Version: 2023-06-01", "X-Api-Key: sk-ant-api03-example"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	beta := headerLines(append(base, "Anthropic-Beta: files-api-2025-04-14")...)
	runContract(t, "anthropic", cred, []contractCase{
		// https://docs.anthropic.com/en/api/models-list
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.anthropic.com/v1/models?limit=1" + hdr},
		{name: "ListModels", object: "model", operation: "list", retrySafe: true,
			want: "GET https://api.anthropic.com/v1/models?limit=1000" + hdr},
		{name: "GetModel", object: "model", operation: "get", retrySafe: true,
			input: map[string]any{"model_id": "claude-3-5-haiku-latest"},
			want:  "GET https://api.anthropic.com/v1/models/claude-3-5-haiku-latest" + hdr},
		// https://docs.anthropic.com/en/api/messages
		{name: "Ask", kind: "activity", activity: "ask",
			input: map[string]any{"prompt": "Summarise: the build is green.", "system": "Be brief."},
			want: "POST https://api.anthropic.com/v1/messages" + json +
				`{"max_tokens":1024,"messages":[{"content":"Summarise: the build is green.","role":"user"}],"model":"claude-sonnet-4-20250514","system":"Be brief."}`},
		{name: "CreateMessage", kind: "activity", activity: "create_message",
			input: map[string]any{"model": "claude-opus-4-20250514", "max_tokens": 256, "messages": []any{map[string]any{"role": "user", "content": "Hi"}},
				"tools": []any{map[string]any{"name": "get_weather", "input_schema": map[string]any{"type": "object"}}}, "tool_choice": map[string]any{"type": "auto"}},
			want: "POST https://api.anthropic.com/v1/messages" + json +
				`{"max_tokens":256,"messages":[{"content":"Hi","role":"user"}],"model":"claude-opus-4-20250514","tool_choice":{"type":"auto"},"tools":[{"input_schema":{"type":"object"},"name":"get_weather"}]}`},
		// https://docs.anthropic.com/en/api/messages-count-tokens
		{name: "CountTokens", kind: "activity", activity: "count_tokens", retrySafe: true,
			input: map[string]any{"model": "claude-sonnet-4-20250514", "messages": []any{map[string]any{"role": "user", "content": "Hello"}}},
			want: "POST https://api.anthropic.com/v1/messages/count_tokens" + json +
				`{"messages":[{"content":"Hello","role":"user"}],"model":"claude-sonnet-4-20250514"}`},
		// https://docs.anthropic.com/en/api/creating-message-batches
		{name: "CreateBatch", kind: "activity", activity: "create_message_batch",
			input: map[string]any{"requests": []any{map[string]any{"custom_id": "r1", "params": map[string]any{"model": "claude-3-5-haiku-latest", "max_tokens": 64, "messages": []any{}}}}},
			want: "POST https://api.anthropic.com/v1/messages/batches" + json +
				`{"requests":[{"custom_id":"r1","params":{"max_tokens":64,"messages":[],"model":"claude-3-5-haiku-latest"}}]}`},
		// https://docs.anthropic.com/en/api/canceling-message-batches
		{name: "CancelBatch", kind: "activity", activity: "cancel_message_batch", retrySafe: true,
			input: map[string]any{"message_batch_id": "msgbatch_01"},
			want:  "POST https://api.anthropic.com/v1/messages/batches/msgbatch_01/cancel" + hdr},
		// https://docs.anthropic.com/en/api/listing-message-batches
		{name: "ListBatches", object: "message_batch", operation: "list", retrySafe: true,
			want: "GET https://api.anthropic.com/v1/messages/batches?limit=1000" + hdr},
		{name: "GetBatch", object: "message_batch", operation: "get", retrySafe: true,
			input: map[string]any{"message_batch_id": "msgbatch_01"},
			want:  "GET https://api.anthropic.com/v1/messages/batches/msgbatch_01" + hdr},
		// https://docs.anthropic.com/en/api/deleting-message-batches
		{name: "DeleteBatch", object: "message_batch", operation: "delete", retrySafe: true,
			input: map[string]any{"message_batch_id": "msgbatch_01"},
			want:  "DELETE https://api.anthropic.com/v1/messages/batches/msgbatch_01" + hdr},
		// https://docs.anthropic.com/en/api/files-list, files-metadata, files-delete
		{name: "ListFiles", object: "file", operation: "list", retrySafe: true,
			want: "GET https://api.anthropic.com/v1/files?limit=1000" + beta},
		{name: "GetFile", object: "file", operation: "get", retrySafe: true,
			input: map[string]any{"file_id": "file_011"},
			want:  "GET https://api.anthropic.com/v1/files/file_011" + beta},
		{name: "DeleteFile", object: "file", operation: "delete", retrySafe: true,
			input: map[string]any{"file_id": "file_011"},
			want:  "DELETE https://api.anthropic.com/v1/files/file_011" + beta},
	})
}

// vendorDescription is an OpenAPI 3 or Swagger 2 description a vendor
// published, reduced to what a connector's requests must agree with: each
// operation's method and path (parameters written as {}), and the names of
// its query, header and form or JSON body parameters.
type vendorDescription struct {
	file string
	// server, when set, is the base URL the description covers: only the
	// requests sent there are checked against it, for a connector whose
	// activities reach several APIs (Pinecone's index host and control
	// plane).
	server string
	ops    map[string]vendorOperation // "POST /v3/{}/messages"
}

type vendorOperation struct {
	query map[string]bool
	body  map[string]bool // nil when the description gives no body properties
}

var vendorPathParam = regexp.MustCompile(`\{[^}]*\}`)

// loadVendorDescription reads a file of the shared spec corpus. rewrite
// holds old, new pairs applied to the description's paths, for a vendor
// whose file pins what the connector leaves to a field (Shopify's API
// version). It skips the test when the corpus is not beside the repository.
func loadVendorDescription(t *testing.T, file string, rewrite ...string) *vendorDescription {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "specs", file))
	if err != nil {
		t.Skipf("no vendor description %s beside the repository: %v", file, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	base, _ := doc["basePath"].(string)
	if servers, _ := doc["servers"].([]any); len(servers) > 0 {
		if s, _ := servers[0].(map[string]any); s != nil {
			u, _ := s["url"].(string)
			base = urlPath(u)
		}
	}
	base = strings.TrimSuffix(base, "/")
	resolve := func(v any) map[string]any { return resolveRef(doc, v) }
	vd := &vendorDescription{file: file, ops: map[string]vendorOperation{}}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		full := base + p
		for i := 0; i+1 < len(rewrite); i += 2 {
			full = strings.ReplaceAll(full, rewrite[i], rewrite[i+1])
		}
		item := resolve(item)
		shared, _ := item["parameters"].([]any)
		for method, op := range item {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, m) {
				continue
			}
			op := resolve(op)
			vo := vendorOperation{query: map[string]bool{}}
			params, _ := op["parameters"].([]any)
			for _, prm := range append(append([]any(nil), shared...), params...) {
				prm := resolve(prm)
				name, _ := prm["name"].(string)
				switch prm["in"] {
				case "query", "header":
					vo.query[name] = true
				case "formData":
					vo.addBody(name)
				case "body":
					vo.addProperties(resolve, prm["schema"])
				}
			}
			if rb := resolve(op["requestBody"]); rb != nil {
				content, _ := rb["content"].(map[string]any)
				for _, media := range content {
					vo.addProperties(resolve, resolve(media)["schema"])
				}
			}
			vd.ops[m+" "+vendorPathParam.ReplaceAllString(full, "{}")] = vo
		}
	}
	return vd
}

func (vo *vendorOperation) addBody(name string) {
	if vo.body == nil {
		vo.body = map[string]bool{}
	}
	vo.body[name] = true
}

// addProperties adds the top-level properties of a body schema, through
// $ref and allOf, anyOf and oneOf.
func (vo *vendorOperation) addProperties(resolve func(any) map[string]any, schema any) {
	s := resolve(schema)
	for name := range s["properties"].(map[string]any) {
		vo.addBody(name)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		subs, _ := s[k].([]any)
		for _, sub := range subs {
			vo.addProperties(resolve, sub)
		}
	}
}

// resolveRef follows a local $ref ("#/components/schemas/X") to its object.
func resolveRef(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			break
		}
		var cur any = doc
		for _, part := range strings.Split(ref[2:], "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
		}
		m, _ = cur.(map[string]any)
	}
	if m == nil {
		return map[string]any{}
	}
	if _, ok := m["properties"].(map[string]any); !ok {
		m = maps.Clone(m)
		m["properties"] = map[string]any{}
	}
	return m
}

// urlPath is the path of a URL that may hold {variables} in its host.
func urlPath(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		return rest[i:]
	}
	return ""
}

// checkDefinition fails for each request of the connector (its test, every
// object operation and activity) whose method and path the description
// lacks, and for each query, header or top-level body parameter it sends
// that the description does not name. documented lists requests and
// parameters the file leaves out ("GET /v1/{}" or "POST /v1/x name" -> the
// documentation page that describes it): vendors' files are often subsets
// of their API, or older than it.
func (vd *vendorDescription) checkDefinition(t *testing.T, d *connector.Definition, documented map[string]string) {
	t.Helper()
	check := func(where string, op *connector.Operation) {
		at := d.BaseURL
		if op.BaseURL != "" {
			at = op.BaseURL
		}
		if vd.server != "" && at != vd.server {
			return
		}
		base := strings.TrimSuffix(urlPath(at), "/")
		key := op.Method + " " + vendorPathParam.ReplaceAllString(base+op.Path, "{}")
		vo, ok := vd.ops[key]
		if !ok {
			if documented[key] == "" {
				t.Errorf("%s: %s is not in %s", where, key, vd.file)
			}
			return
		}
		for _, name := range sentQuery(op) {
			if !vo.query[name] && documented[key+" "+name] == "" {
				t.Errorf("%s: %s sends query parameter %q, which %s does not name", where, key, name, vd.file)
			}
		}
		if vo.body == nil {
			return
		}
		for _, name := range sentBody(op) {
			if !vo.body[name] && documented[key+" "+name] == "" {
				t.Errorf("%s: %s sends body parameter %q, which %s does not name", where, key, name, vd.file)
			}
		}
	}
	if d.Test != nil {
		method := d.Test.Method
		if method == "" {
			method = "GET"
		}
		q := map[string]string{}
		maps.Copy(q, d.Test.Query)
		check("test", &connector.Operation{Method: method, Path: d.Test.Path, Query: q})
	}
	for _, o := range d.Objects {
		for _, name := range connector.OperationNames {
			if op := o.Operations.ByName(name); op != nil {
				check(o.Name+"."+name, op)
			}
		}
	}
	for i := range d.Activities {
		check("activity "+d.Activities[i].Name, &d.Activities[i].Operation)
	}
}

// inputIn is where an input goes, by the rules of connector.Input.In.
func inputIn(op *connector.Operation, in *connector.Input) string {
	switch {
	case in.In != "":
		return in.In
	case strings.Contains(op.Path, "{"+in.Name+"}"):
		return "path"
	case op.Method == "GET" || op.Method == "HEAD" || op.Method == "DELETE":
		return "query"
	}
	return "body"
}

func sentQuery(op *connector.Operation) []string {
	var out []string
	for k := range op.Query {
		out = append(out, k)
	}
	for i := range op.Inputs {
		if inputIn(op, &op.Inputs[i]) == "query" {
			out = append(out, op.Inputs[i].WireName())
		}
	}
	if pg := op.Pagination; pg != nil {
		for _, p := range []string{pg.LimitParam, pg.OffsetParam, pg.PageParam} {
			if p != "" {
				out = append(out, p)
			}
		}
		if pg.CursorParam != "" && pg.CursorIn != "body" {
			out = append(out, pg.CursorParam)
		}
	}
	return out
}

// sentBody lists the top-level keys of the body: the template's and those
// of body inputs the template does not place.
func sentBody(op *connector.Operation) []string {
	var out []string
	tmpl, _ := op.Body.(map[string]any)
	for k := range tmpl {
		out = append(out, k)
	}
	placed := fmt.Sprint(op.Body)
	for i := range op.Inputs {
		in := &op.Inputs[i]
		if inputIn(op, in) == "body" && !strings.Contains(placed, "{"+in.Name+"}") {
			out = append(out, in.WireName())
		}
	}
	return out
}

func TestContractPerplexity(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "pplx-example")}
	hdr := headerLines("Accept: application/json", "Authorization: Bearer pplx-example")
	json := headerLines("Accept: application/json", "Authorization: Bearer pplx-example", "Content-Type: application/json") + "\n\n"
	runContract(t, "perplexity", cred, []contractCase{
		// https://docs.perplexity.ai/api-reference/async-chat-completions-get
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.perplexity.ai/async/chat/completions?limit=1" + hdr},
		{name: "ListAsync", object: "async_chat_completion", operation: "list", retrySafe: true,
			want: "GET https://api.perplexity.ai/async/chat/completions?limit=100" + hdr},
		// https://docs.perplexity.ai/api-reference/async-chat-completions-request_id-get
		{name: "GetAsync", object: "async_chat_completion", operation: "get", retrySafe: true,
			input: map[string]any{"request_id": "req_01"},
			want:  "GET https://api.perplexity.ai/async/chat/completions/req_01" + hdr},
		// https://docs.perplexity.ai/api-reference/chat-completions-post
		{name: "Ask", kind: "activity", activity: "ask",
			input: map[string]any{"question": "How many moons has Mars?", "search_recency_filter": "month"},
			want: "POST https://api.perplexity.ai/chat/completions" + json +
				`{"messages":[{"content":"How many moons has Mars?","role":"user"}],"model":"sonar","search_recency_filter":"month"}`},
		{name: "AskWithSystem", kind: "activity", activity: "ask",
			input: map[string]any{"question": "Latest Go release?", "system": "Be brief.", "model": "sonar-pro", "search_domain_filter": []any{"go.dev"}},
			want: "POST https://api.perplexity.ai/chat/completions" + json +
				`{"messages":[{"content":"Be brief.","role":"system"},{"content":"Latest Go release?","role":"user"}],"model":"sonar-pro","search_domain_filter":["go.dev"]}`},
		{name: "ChatCompletion", kind: "activity", activity: "chat_completion",
			input: map[string]any{"model": "sonar", "messages": []any{map[string]any{"role": "user", "content": "Hi"}}, "web_search_options": map[string]any{"search_context_size": "high"}},
			want: "POST https://api.perplexity.ai/chat/completions" + json +
				`{"messages":[{"content":"Hi","role":"user"}],"model":"sonar","web_search_options":{"search_context_size":"high"}}`},
		// https://docs.perplexity.ai/api-reference/search-post
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"query": "junction integration service", "max_results": 5, "country": "DE"},
			want: "POST https://api.perplexity.ai/search" + json +
				`{"country":"DE","max_results":5,"query":"junction integration service"}`},
		// https://docs.perplexity.ai/api-reference/async-chat-completions-post
		{name: "StartResearch", kind: "activity", activity: "create_async_chat_completion",
			input: map[string]any{"question": "State of fusion power?", "reasoning_effort": "high"},
			want: "POST https://api.perplexity.ai/async/chat/completions" + json +
				`{"request":{"messages":[{"content":"State of fusion power?","role":"user"}],"model":"sonar-deep-research","reasoning_effort":"high"}}`},
	})
	t.Run("VendorDescription", func(t *testing.T) {
		// perplexity.json (a 2024 description) has /chat/completions with
		// the original parameters only; the rest is in the current
		// reference, named per request.
		const ref = "https://docs.perplexity.ai/api-reference/"
		documented := map[string]string{
			"GET /async/chat/completions":    ref + "async-chat-completions-get",
			"GET /async/chat/completions/{}": ref + "async-chat-completions-request_id-get",
			"POST /async/chat/completions":   ref + "async-chat-completions-post",
			"POST /search":                   ref + "search-post",
		}
		for _, p := range []string{"search_domain_filter", "search_recency_filter", "search_mode", "search_after_date_filter",
			"search_before_date_filter", "return_images", "return_related_questions", "response_format", "web_search_options"} {
			documented["POST /chat/completions "+p] = ref + "chat-completions-post"
		}
		loadVendorDescription(t, "perplexity.json").checkDefinition(t, catalogCDefinition(t, "perplexity"), documented)
	})
}

// transcribedDescription is a vendor description not kept in the shared
// corpus, transcribed for the requests a connector sends: "METHOD /path"
// to its query (q:name) and body (b:name) parameter names, copied from
// the file named in source.
func transcribedDescription(source string, ops map[string][]string) *vendorDescription {
	vd := &vendorDescription{file: source, ops: map[string]vendorOperation{}}
	for key, params := range ops {
		method, path, _ := strings.Cut(key, " ")
		vo := vendorOperation{query: map[string]bool{}}
		for _, p := range params {
			if name, ok := strings.CutPrefix(p, "b:"); ok {
				vo.addBody(name)
			} else {
				vo.query[strings.TrimPrefix(p, "q:")] = true
			}
		}
		vd.ops[method+" "+vendorPathParam.ReplaceAllString(path, "{}")] = vo
	}
	return vd
}

func TestContractPinecone(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"index_host": "docs-abc1234.svc.aped-4627-b74a.pinecone.io"}, Secrets: secrets("api_key", "pcsk_example")}
	const host = "https://docs-abc1234.svc.aped-4627-b74a.pinecone.io"
	const control = "https://api.pinecone.io"
	base := []string{"Accept: application/json", "Api-Key: pcsk_example", "X-Pinecone-Api-Version: 2026-04"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const ref = "https://docs.pinecone.io/reference/api/2026-04/data-plane/"
	runContract(t, "pinecone", cred, []contractCase{
		// ref + "describeindexstats"
		{name: "Test", kind: "test", want: "POST " + host + "/describe_index_stats" + hdr},
		// ref + "list"
		{name: "ListVectors", object: "vector", operation: "list", retrySafe: true,
			input: map[string]any{"namespace": "docs", "prefix": "doc1#"},
			want:  "GET " + host + "/vectors/list?limit=100&namespace=docs&prefix=doc1%23" + hdr},
		// ref + "fetch"
		{name: "GetVector", object: "vector", operation: "get", retrySafe: true,
			input: map[string]any{"id": "doc1#chunk1", "namespace": "docs"},
			want:  "GET " + host + "/vectors/fetch?ids=doc1%23chunk1&namespace=docs" + hdr},
		{name: "FetchVectors", kind: "activity", activity: "fetch_vectors", retrySafe: true,
			input: map[string]any{"ids": []any{"a", "b"}},
			want:  "GET " + host + "/vectors/fetch?ids=a&ids=b" + hdr},
		// ref + "upsert"
		{name: "CreateVector", object: "vector", operation: "create", retrySafe: true,
			input: map[string]any{"id": "a", "values": []any{0.1, 0.2}, "metadata": map[string]any{"genre": "drama"}, "namespace": "docs"},
			want: "POST " + host + "/vectors/upsert" + json +
				`{"namespace":"docs","vectors":[{"id":"a","metadata":{"genre":"drama"},"values":[0.1,0.2]}]}`},
		{name: "UpsertVectors", kind: "activity", activity: "upsert_vectors", retrySafe: true,
			input: map[string]any{"vectors": []any{map[string]any{"id": "a", "values": []any{1, 2}}}},
			want:  "POST " + host + "/vectors/upsert" + json + `{"vectors":[{"id":"a","values":[1,2]}]}`},
		// ref + "update"
		{name: "UpdateVector", object: "vector", operation: "update", retrySafe: true,
			input: map[string]any{"id": "a", "set_metadata": map[string]any{"year": 2020}},
			want:  "POST " + host + "/vectors/update" + json + `{"id":"a","setMetadata":{"year":2020}}`},
		// ref + "delete"
		{name: "DeleteVector", object: "vector", operation: "delete", retrySafe: true,
			input: map[string]any{"id": "a", "namespace": "docs"},
			want:  "POST " + host + "/vectors/delete" + json + `{"ids":["a"],"namespace":"docs"}`},
		{name: "DeleteByFilter", kind: "activity", activity: "delete_vectors", retrySafe: true,
			input: map[string]any{"filter": map[string]any{"genre": map[string]any{"$eq": "drama"}}, "namespace": "docs"},
			want:  "POST " + host + "/vectors/delete" + json + `{"filter":{"genre":{"$eq":"drama"}},"namespace":"docs"}`},
		// ref + "query"
		{name: "Query", kind: "activity", activity: "query", retrySafe: true,
			input: map[string]any{"vector": []any{0.1, 0.2}, "top_k": 3, "filter": map[string]any{"year": map[string]any{"$gte": 2020}}},
			want:  "POST " + host + "/query" + json + `{"filter":{"year":{"$gte":2020}},"includeMetadata":true,"topK":3,"vector":[0.1,0.2]}`},
		// ref + "search_records"
		{name: "SearchRecords", kind: "activity", activity: "search_records", retrySafe: true,
			input: map[string]any{"text": "Disease prevention", "top_k": 5, "fields": []any{"chunk_text"}},
			want: "POST " + host + "/records/namespaces/__default__/search" + json +
				`{"fields":["chunk_text"],"query":{"inputs":{"text":"Disease prevention"},"top_k":5}}`},
		{name: "Stats", kind: "activity", activity: "describe_index_stats", retrySafe: true,
			want: "POST " + host + "/describe_index_stats" + hdr},
		// ref + "listnamespaces", "describenamespace", "createnamespace", "deletenamespace"
		{name: "ListNamespaces", object: "namespace", operation: "list", retrySafe: true,
			want: "GET " + host + "/namespaces?limit=100" + hdr},
		{name: "GetNamespace", object: "namespace", operation: "get", retrySafe: true,
			input: map[string]any{"namespace": "docs"},
			want:  "GET " + host + "/namespaces/docs" + hdr},
		{name: "CreateNamespace", object: "namespace", operation: "create",
			input: map[string]any{"name": "docs"},
			want:  "POST " + host + "/namespaces" + json + `{"name":"docs"}`},
		{name: "DeleteNamespace", object: "namespace", operation: "delete", retrySafe: true,
			input: map[string]any{"namespace": "docs"},
			want:  "DELETE " + host + "/namespaces/docs" + hdr},
	})
	t.Run("VendorDescription", func(t *testing.T) {
		// pinecone-io/pinecone-api 2026-04/db_data_2026-04.oas.yaml
		// (commit d955777): the data plane, which the shared corpus lacks
		// (it holds the control plane only, which this connector does not
		// call).
		vd := transcribedDescription("db_data_2026-04.oas.yaml", map[string][]string{
			"POST /describe_index_stats":           {"b:filter"},
			"POST /query":                          {"b:namespace", "b:topK", "b:filter", "b:includeValues", "b:includeMetadata", "b:queries", "b:vector", "b:sparseVector", "b:id"},
			"POST /vectors/delete":                 {"b:ids", "b:deleteAll", "b:namespace", "b:filter"},
			"GET /vectors/fetch":                   {"q:ids", "q:namespace"},
			"GET /vectors/list":                    {"q:prefix", "q:limit", "q:paginationToken", "q:namespace"},
			"POST /vectors/update":                 {"b:id", "b:values", "b:sparseValues", "b:setMetadata", "b:namespace", "b:filter", "b:dryRun"},
			"POST /vectors/upsert":                 {"b:vectors", "b:namespace"},
			"GET /namespaces":                      {"q:limit", "q:paginationToken", "q:prefix"},
			"POST /namespaces":                     {"b:name", "b:schema"},
			"GET /namespaces/{namespace}":          nil,
			"DELETE /namespaces/{namespace}":       nil,
			"POST /records/namespaces/{ns}/search": {"b:query", "b:fields", "b:rerank"},
			"POST /records/namespaces/{ns}/upsert": nil, // an NDJSON body of records
		})
		d := catalogCDefinition(t, "pinecone")
		vd.server = d.BaseURL
		vd.checkDefinition(t, d, nil)
	})
	t.Run("ControlPlaneDescription", func(t *testing.T) {
		vd := loadVendorDescription(t, "pinecone-db-control.yaml")
		vd.server = "https://api.pinecone.io"
		vd.checkDefinition(t, catalogCDefinition(t, "pinecone"), map[string]string{
			// Inference is a description of its own, checked below.
			"POST /embed":  "https://docs.pinecone.io/reference/api/2026-04/inference/generate-embeddings",
			"POST /rerank": "https://docs.pinecone.io/reference/api/2026-04/inference/rerank-results",
		})
	})
	t.Run("InferenceDescription", func(t *testing.T) {
		// pinecone-io/pinecone-api 2026-04/inference_2026-04.oas.yaml
		// (commit d955777), which the shared corpus lacks.
		vd := transcribedDescription("inference_2026-04.oas.yaml", map[string][]string{
			"POST /embed":  {"b:model", "b:parameters", "b:inputs"},
			"POST /rerank": {"b:model", "b:query", "b:top_n", "b:return_documents", "b:rank_fields", "b:documents", "b:parameters"},
		})
		vd.server = "https://api.pinecone.io"
		vd.checkDefinition(t, catalogCDefinition(t, "pinecone"), map[string]string{
			"GET /indexes":       "https://docs.pinecone.io/reference/api/2026-04/control-plane/list_indexes",
			"GET /indexes/{}":    "https://docs.pinecone.io/reference/api/2026-04/control-plane/describe_index",
			"POST /indexes":      "https://docs.pinecone.io/reference/api/2026-04/control-plane/create_index",
			"DELETE /indexes/{}": "https://docs.pinecone.io/reference/api/2026-04/control-plane/delete_index",
		})
	})
}

func TestContractMailchimp(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"dc": "us6"}, Secrets: secrets("api_key", "0123abcd-us6")}
	// base64("junction:0123abcd-us6")
	base := []string{"Accept: application/json", "Authorization: Basic anVuY3Rpb246MDEyM2FiY2QtdXM2"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const api = "https://us6.api.mailchimp.com/3.0"
	const ref = "https://mailchimp.com/developer/marketing/api/"
	runContract(t, "mailchimp", cred, []contractCase{
		// ref + "root/list-api-root-resources/"
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/?fields=account_id%2Caccount_name%2Cemail" + hdr},
		// ref + "lists/get-lists-info/"
		{name: "ListAudiences", object: "audience", operation: "list", retrySafe: true,
			want: "GET " + api + "/lists?count=1000" + hdr},
		// ref + "list-members/list-members-info/"
		{name: "ListMembers", object: "member", operation: "list", retrySafe: true,
			input: map[string]any{"list_id": "57afe96172", "status": "subscribed", "since_last_changed": "2024-03-10T12:00:00Z"},
			want:  "GET " + api + "/lists/57afe96172/members?count=1000&since_last_changed=2024-03-10T12%3A00%3A00Z&status=subscribed" + hdr},
		// ref + "list-members/get-member-info/": the email address stands for the hash
		{name: "GetMember", object: "member", operation: "get", retrySafe: true,
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann+news@example.com"},
			want:  "GET " + api + "/lists/57afe96172/members/ann+news@example.com" + hdr},
		// ref + "list-members/add-member-to-list/"
		{name: "CreateMember", object: "member", operation: "create",
			input: map[string]any{"list_id": "57afe96172", "email_address": "ann@example.com", "status": "pending", "merge_fields": map[string]any{"FNAME": "Ann"}},
			want: "POST " + api + "/lists/57afe96172/members" + json +
				`{"email_address":"ann@example.com","merge_fields":{"FNAME":"Ann"},"status":"pending"}`},
		// ref + "list-members/update-list-member/"
		{name: "UpdateMember", object: "member", operation: "update",
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann@example.com", "status": "unsubscribed"},
			want:  "PATCH " + api + "/lists/57afe96172/members/ann@example.com" + json + `{"status":"unsubscribed"}`},
		// ref + "list-members/archive-list-member/"
		{name: "ArchiveMember", object: "member", operation: "delete", retrySafe: true,
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann@example.com"},
			want:  "DELETE " + api + "/lists/57afe96172/members/ann@example.com" + hdr},
		// ref + "list-members/add-or-update-list-member/"
		{name: "UpsertMember", kind: "activity", activity: "upsert_member", retrySafe: true,
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann@example.com", "email_address": "ann@example.com", "merge_fields": map[string]any{"FNAME": "Ann"}},
			want: "PUT " + api + "/lists/57afe96172/members/ann@example.com" + json +
				`{"email_address":"ann@example.com","merge_fields":{"FNAME":"Ann"},"status_if_new":"subscribed"}`},
		// ref + "list-member-tags/add-or-remove-member-tags/"
		{name: "Tags", kind: "activity", activity: "update_member_tags", retrySafe: true,
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann@example.com", "tags": []any{map[string]any{"name": "vip", "status": "active"}}},
			want:  "POST " + api + "/lists/57afe96172/members/ann@example.com/tags" + json + `{"tags":[{"name":"vip","status":"active"}]}`},
		// ref + "search-members/search-members/"
		{name: "SearchMembers", kind: "activity", activity: "search_members", retrySafe: true,
			input: map[string]any{"query": "ann@example.com"},
			want:  "GET " + api + "/search-members?query=ann%40example.com" + hdr},
		// ref + "campaigns/add-campaign/"
		{name: "CreateCampaign", object: "campaign", operation: "create",
			input: map[string]any{"list_id": "57afe96172", "subject_line": "March news", "from_name": "Acme", "reply_to": "news@acme.example"},
			want: "POST " + api + "/campaigns" + json +
				`{"recipients":{"list_id":"57afe96172"},"settings":{"from_name":"Acme","reply_to":"news@acme.example","subject_line":"March news"},"type":"regular"}`},
		// ref + "campaigns/update-campaign-settings/"
		{name: "UpdateCampaign", object: "campaign", operation: "update",
			input: map[string]any{"campaign_id": "42694e9e57", "subject_line": "April news"},
			want:  "PATCH " + api + "/campaigns/42694e9e57" + json + `{"settings":{"subject_line":"April news"}}`},
		// ref + "campaigns/list-campaigns/"
		{name: "ListCampaigns", object: "campaign", operation: "list", retrySafe: true,
			input: map[string]any{"status": "sent"},
			want:  "GET " + api + "/campaigns?count=1000&status=sent" + hdr},
		// ref + "campaign-content/set-campaign-content/"
		{name: "SetContent", kind: "activity", activity: "set_campaign_content", retrySafe: true,
			input: map[string]any{"campaign_id": "42694e9e57", "html": "<p>Hello</p>"},
			want:  "PUT " + api + "/campaigns/42694e9e57/content" + json + `{"html":"\u003cp\u003eHello\u003c/p\u003e"}`},
		// ref + "campaigns/send-campaign/"
		{name: "SendCampaign", kind: "activity", activity: "send_campaign",
			input: map[string]any{"campaign_id": "42694e9e57"},
			want:  "POST " + api + "/campaigns/42694e9e57/actions/send" + hdr},
		// ref + "campaigns/schedule-campaign/"
		{name: "ScheduleCampaign", kind: "activity", activity: "schedule_campaign",
			input: map[string]any{"campaign_id": "42694e9e57", "schedule_time": "2024-04-01T09:15:00Z"},
			want:  "POST " + api + "/campaigns/42694e9e57/actions/schedule" + json + `{"schedule_time":"2024-04-01T09:15:00Z"}`},
		// ref + "customer-journeys-api-trigger/customer-journeys-api-trigger-for-a-contact/"
		{name: "TriggerJourney", kind: "activity", activity: "trigger_journey",
			input: map[string]any{"journey_id": 12, "step_id": 34, "email_address": "ann@example.com"},
			want:  "POST " + api + "/customer-journeys/journeys/12/steps/34/actions/trigger" + json + `{"email_address":"ann@example.com"}`},
		// ref + "list-member-events/add-event/"
		{name: "AddEvent", kind: "activity", activity: "add_member_event",
			input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "ann@example.com", "name": "trial_started", "properties": map[string]any{"plan": "pro"}},
			want:  "POST " + api + "/lists/57afe96172/members/ann@example.com/events" + json + `{"name":"trial_started","properties":{"plan":"pro"}}`},
	})
	t.Run("OAuth", func(t *testing.T) {
		wantOAuthBearer(t, "mailchimp", map[string]string{"dc": "us6", "client_id": "123"})
	})
}

// pollCase is one poll of a connector's trigger: the first request it
// sends after the watermark, and what it makes of one page the vendor's
// documentation shows.
type pollCase struct {
	key           string
	cred          connector.Credentials
	object, event string
	input         map[string]any
	want          string // method and URL of the first request
	page          string // a response body
	wantIDs       string // the records the event reports, space-separated
}

var pollWatermark = time.Date(2024, 3, 10, 12, 34, 56, 0, time.UTC)

func runPolls(t *testing.T, cases map[string]pollCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := catalogCDefinition(t, tc.key)
			state := connector.PollState{Watermark: pollWatermark}
			req, err := d.BuildPoll(tc.cred, tc.object, tc.event, tc.input, state)
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Method + " " + req.URL.String(); got != tc.want {
				t.Errorf("request\n got: %s\nwant: %s", got, tc.want)
			}
			page, err := d.PollRecords(tc.object, tc.event, state, req, connector.Response{StatusCode: 200, Body: []byte(tc.page)})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range page.Records {
				ids = append(ids, r.ID)
			}
			if got := strings.Join(ids, " "); got != tc.wantIDs {
				t.Errorf("records = %q, want %q", got, tc.wantIDs)
			}
		})
	}
}

func TestPollCatalogC(t *testing.T) {
	mailchimp := connector.Credentials{Auth: "api_key", Fields: map[string]string{"dc": "us6"}, Secrets: secrets("api_key", "k-us6")}
	runPolls(t, map[string]pollCase{
		// https://docs.anthropic.com/en/api/listing-message-batches: no
		// time filter; the newest page is read and older batches dropped.
		"AnthropicBatchCreated": {key: "anthropic", cred: connector.Credentials{Secrets: secrets("api_key", "k")},
			object: "message_batch", event: "created",
			want:    "GET https://api.anthropic.com/v1/messages/batches?limit=1000",
			page:    `{"data":[{"id":"msgbatch_new","created_at":"2024-03-10T13:00:00Z"},{"id":"msgbatch_old","created_at":"2024-03-01T00:00:00Z"}],"has_more":false,"first_id":"msgbatch_new","last_id":"msgbatch_old"}`,
			wantIDs: "msgbatch_new"},
		// https://docs.perplexity.ai/api-reference/async-chat-completions-get
		"PerplexityAsyncCreated": {key: "perplexity", cred: connector.Credentials{Secrets: secrets("api_key", "k")},
			object: "async_chat_completion", event: "created",
			want:    "GET https://api.perplexity.ai/async/chat/completions?limit=100",
			page:    `{"requests":[{"id":"r2","created_at":1710077000,"status":"COMPLETED"},{"id":"r1","created_at":1700000000}],"next_token":null}`,
			wantIDs: "r2"},
		// https://mailchimp.com/developer/marketing/api/list-members/list-members-info/
		"MailchimpMemberUpdated": {key: "mailchimp", cred: mailchimp, object: "member", event: "updated",
			input: map[string]any{"list_id": "57afe96172"},
			want:  "GET https://us6.api.mailchimp.com/3.0/lists/57afe96172/members?count=1000&since_last_changed=2024-03-10T12%3A33%3A56Z",
			page: `{"members":[{"id":"h1","email_address":"a@example.com","timestamp_opt":"2023-01-01T00:00:00+00:00","last_changed":"2024-03-10T13:00:00+00:00"},
				{"id":"h2","timestamp_opt":"2024-03-10T12:50:00+00:00","last_changed":"2024-03-10T12:50:00+00:00"}],"total_items":2}`,
			wantIDs: "h1"},
		"MailchimpMemberCreated": {key: "mailchimp", cred: mailchimp, object: "member", event: "created",
			input:   map[string]any{"list_id": "57afe96172"},
			want:    "GET https://us6.api.mailchimp.com/3.0/lists/57afe96172/members?count=1000&since_timestamp_opt=2024-03-10T12%3A33%3A56Z",
			page:    `{"members":[{"id":"h2","timestamp_opt":"2024-03-10T12:50:00+00:00","last_changed":"2024-03-10T12:50:00+00:00"}],"total_items":1}`,
			wantIDs: "h2"},
		// https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Events/
		"MailgunFailed": {key: "mailgun", cred: connector.Credentials{Auth: "api_key", Fields: map[string]string{"domain_name": "mg.example.com"}, Secrets: secrets("api_key", "k")},
			object: "email_event", event: "failed",
			want:    "GET https://api.mailgun.net/v3/mg.example.com/events?ascending=yes&begin=1710073976&event=failed&limit=300",
			page:    `{"items":[{"id":"e1","event":"failed","timestamp":1710075000.123456,"recipient":"a@example.com"}],"paging":{"next":"https://api.mailgun.net/v3/mg.example.com/events/W3siYSI6IGZhbHNlfQ=="}}`,
			wantIDs: "e1"},
		// https://developers.brevo.com/reference/getcontacts-1
		"BrevoContactCreated": {key: "brevo", cred: connector.Credentials{Secrets: secrets("api_key", "k")}, object: "contact", event: "created",
			want: "GET https://api.brevo.com/v3/contacts?createdSince=2024-03-10T12%3A33%3A56.000Z&limit=1000&sort=asc",
			page: `{"contacts":[{"id":7,"email":"ann@example.com","createdAt":"2024-03-10T13:00:00.000+01:00","modifiedAt":"2024-03-10T13:00:00.000+01:00"},
				{"id":8,"email":"bob@example.com","createdAt":"2024-03-10T13:05:00.000Z","modifiedAt":"2024-03-10T13:05:00.000Z"}],"count":2}`,
			wantIDs: "8"},
		// https://developers.klaviyo.com/en/reference/get_profiles
		"KlaviyoProfileUpdated": {key: "klaviyo", cred: connector.Credentials{Auth: "api_key", Secrets: secrets("api_key", "pk")}, object: "profile", event: "updated",
			want:    "GET https://a.klaviyo.com/api/profiles?filter=greater-than%28updated%2C2024-03-10T12%3A33%3A56Z%29&page%5Bsize%5D=100&sort=updated",
			page:    `{"data":[{"type":"profile","id":"01A","attributes":{"email":"ann@example.com","created":"2023-01-01T00:00:00+00:00","updated":"2024-03-10T13:00:00+00:00"}}],"links":{"self":"x","next":null}}`,
			wantIDs: "01A"},
		// https://developers.klaviyo.com/en/reference/get_events
		"KlaviyoEventCreated": {key: "klaviyo", cred: connector.Credentials{Auth: "api_key", Secrets: secrets("api_key", "pk")}, object: "event", event: "created",
			want:    "GET https://a.klaviyo.com/api/events?filter=greater-than%28datetime%2C2024-03-10T12%3A33%3A56Z%29&page%5Bsize%5D=100&sort=datetime",
			page:    `{"data":[{"type":"event","id":"4vRpBT","attributes":{"timestamp":1710075600,"datetime":"2024-03-10T13:00:00+00:00","event_properties":{}}}],"links":{"next":null}}`,
			wantIDs: "4vRpBT"},
		// https://shopify.dev/docs/api/admin-rest/latest/resources/order#get-orders
		"ShopifyOrderCreated": {key: "shopify", cred: connector.Credentials{Auth: "access_token", Fields: map[string]string{"shop": "acme-store"}, Secrets: secrets("access_token", "t")}, object: "order", event: "created",
			want:    "GET https://acme-store.myshopify.com/admin/api/2025-10/orders.json?created_at_min=2024-03-10T12%3A33%3A56Z&limit=250&status=any",
			page:    `{"orders":[{"id":450789469,"created_at":"2024-03-10T08:00:00-05:00","updated_at":"2024-03-10T08:00:00-05:00"},{"id":450789470,"created_at":"2024-03-10T07:00:00-05:00","updated_at":"2024-03-10T07:00:00-05:00"}]}`,
			wantIDs: "450789469"},
		// https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
		"WooCommerceOrderUpdated": {key: "woocommerce", cred: connector.Credentials{Auth: "api_key", Fields: map[string]string{"store_host": "shop.example.com", "consumer_key": "ck"}, Secrets: secrets("consumer_secret", "cs")},
			object: "order", event: "updated",
			want:    "GET https://shop.example.com/wp-json/wc/v3/orders?dates_are_gmt=true&modified_after=2024-03-10T12%3A33%3A56&order=asc&orderby=modified&page=1&per_page=100",
			page:    `[{"id":727,"date_created_gmt":"2024-03-01T10:00:00","date_modified_gmt":"2024-03-10T13:00:00"},{"id":728,"date_created_gmt":"2024-03-10T12:59:00","date_modified_gmt":"2024-03-10T12:59:00"}]`,
			wantIDs: "727"},
		// https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
		"DocuSignEnvelopeCompleted": {key: "docusign", cred: connector.Credentials{Auth: "oauth2_authorization_code",
			Fields: map[string]string{"base_host": "na3.docusign.net", "account_id": "7c4e3b0a", "integration_key": "ik"}, Secrets: secrets("secret_key", "sk"), AccessToken: junction.NewSecret("at")},
			object: "envelope", event: "completed",
			want:    "GET https://na3.docusign.net/restapi/v2.1/accounts/7c4e3b0a/envelopes?count=100&from_date=2024-03-10T12%3A32%3A56Z&from_to_status=completed",
			page:    `{"resultSetSize":"1","totalSetSize":"1","envelopes":[{"envelopeId":"93be49ab","status":"completed","createdDateTime":"2024-03-01T10:00:00.0000000Z","completedDateTime":"2024-03-10T13:00:00.0000000Z","statusChangedDateTime":"2024-03-10T13:00:00.0000000Z"}]}`,
			wantIDs: "93be49ab"},
	})
}

func TestContractMailgun(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"domain_name": "mg.example.com"}, Secrets: secrets("api_key", "key-example")}
	// base64("api:key-example")
	base := []string{"Accept: application/json", "Authorization: Basic YXBpOmtleS1leGFtcGxl"}
	hdr := headerLines(base...)
	form := headerLines(append(base, "Content-Type: application/x-www-form-urlencoded")...) + "\n\n"
	const api = "https://api.mailgun.net"
	runContract(t, "mailgun", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/v4/domains/mg.example.com" + hdr},
		{name: "SendEmail", kind: "activity", activity: "send_email",
			input: map[string]any{"from": "Ops <ops@mg.example.com>", "to": []any{"ann@example.com", "bob@example.com"}, "subject": "Hello", "text": "Hi",
				"tags": []any{"welcome"}, "reply_to": "help@example.com"},
			want: "POST " + api + "/v3/mg.example.com/messages" + form +
				"from=Ops+%3Cops%40mg.example.com%3E&h%3AReply-To=help%40example.com&o%3Atag=welcome&subject=Hello&text=Hi&to=ann%40example.com&to=bob%40example.com"},
		{name: "SendTemplate", kind: "activity", activity: "send_email",
			input: map[string]any{"from": "ops@mg.example.com", "to": []any{"ann@example.com"}, "subject": "Welcome", "template": "welcome", "template_variables": `{"name":"Ann"}`},
			want: "POST " + api + "/v3/mg.example.com/messages" + form +
				"from=ops%40mg.example.com&subject=Welcome&t%3Avariables=%7B%22name%22%3A%22Ann%22%7D&template=welcome&to=ann%40example.com"},
		{name: "ListEvents", object: "email_event", operation: "list", retrySafe: true,
			input: map[string]any{"event": "failed", "severity": "permanent", "ascending": "yes"},
			want:  "GET " + api + "/v3/mg.example.com/events?ascending=yes&event=failed&limit=300&severity=permanent" + hdr},
		{name: "ListDomains", object: "domain", operation: "list", retrySafe: true,
			want: "GET " + api + "/v4/domains?limit=1000" + hdr},
		{name: "ListBounces", object: "bounce", operation: "list", retrySafe: true,
			want: "GET " + api + "/v3/mg.example.com/bounces?limit=1000" + hdr},
		{name: "CreateBounce", object: "bounce", operation: "create", retrySafe: true,
			input: map[string]any{"address": "gone@example.com", "code": "550"},
			want:  "POST " + api + "/v3/mg.example.com/bounces" + form + "address=gone%40example.com&code=550"},
		{name: "DeleteBounce", object: "bounce", operation: "delete", retrySafe: true,
			input: map[string]any{"address": "gone@example.com"},
			want:  "DELETE " + api + "/v3/mg.example.com/bounces/gone@example.com" + hdr},
		{name: "CreateUnsubscribe", object: "unsubscribe", operation: "create", retrySafe: true,
			input: map[string]any{"address": "ann@example.com", "tags": "newsletter"},
			want:  "POST " + api + "/v3/mg.example.com/unsubscribes" + form + "address=ann%40example.com&tags=newsletter"},
		{name: "GetUnsubscribe", object: "unsubscribe", operation: "get", retrySafe: true,
			input: map[string]any{"address": "ann@example.com"},
			want:  "GET " + api + "/v3/mg.example.com/unsubscribes/ann@example.com" + hdr},
		{name: "AddListMember", object: "list_member", operation: "create",
			input: map[string]any{"list_address": "news@mg.example.com", "address": "ann@example.com", "name": "Ann", "upsert": true},
			want:  "POST " + api + "/v3/lists/news@mg.example.com/members" + form + "address=ann%40example.com&name=Ann&upsert=true"},
		{name: "UpdateListMember", object: "list_member", operation: "update", retrySafe: true,
			input: map[string]any{"list_address": "news@mg.example.com", "member_address": "ann@example.com", "subscribed": false},
			want:  "PUT " + api + "/v3/lists/news@mg.example.com/members/ann@example.com" + form + "subscribed=false"},
		{name: "ListMembers", object: "list_member", operation: "list", retrySafe: true,
			input: map[string]any{"list_address": "news@mg.example.com"},
			want:  "GET " + api + "/v3/lists/news@mg.example.com/members/pages?limit=100" + hdr},
		{name: "ValidateAddress", kind: "activity", activity: "validate_address", retrySafe: true,
			input: map[string]any{"address": "ann@example.com"},
			want:  "GET " + api + "/v4/address/validate?address=ann%40example.com" + hdr},
	})
	t.Run("EURegion", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"domain_name": "mg.example.com", "api_host": "api.eu.mailgun.net"}
		r, err := catalogCDefinition(t, "mailgun").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.URL.String(); got != "https://api.eu.mailgun.net/v4/domains/mg.example.com" {
			t.Errorf("URL = %s", got)
		}
	})
	t.Run("EmptyPageEndsPaging", func(t *testing.T) {
		// Mailgun always sends paging.next; an empty page is the end.
		r, err := catalogCDefinition(t, "mailgun").BuildOperation(cred, "bounce", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		full := `{"items":[{"address":"a@example.com"}],"paging":{"next":"https://api.mailgun.net/v3/mg.example.com/bounces?page=next&address=a%40example.com&limit=1000"}}`
		next, ok, err := r.NextPage(connector.Response{StatusCode: 200, Body: []byte(full)})
		if err != nil || !ok || !strings.Contains(next.URL.RawQuery, "page=next") {
			t.Fatalf("NextPage = %v, %v, %v", next, ok, err)
		}
		empty := `{"items":[],"paging":{"next":"https://api.mailgun.net/v3/mg.example.com/bounces?page=next&address=a%40example.com&limit=1000"}}`
		if _, ok, err := next.NextPage(connector.Response{StatusCode: 200, Body: []byte(empty)}); ok || err != nil {
			t.Errorf("an empty page gave a next page (%v)", err)
		}
	})
	t.Run("VendorDescription", func(t *testing.T) {
		// The file shows custom headers by example (h:X-My-Header); any
		// header can be sent with the h: prefix.
		loadVendorDescription(t, "mailgun.yaml").checkDefinition(t, catalogCDefinition(t, "mailgun"), map[string]string{
			"POST /v3/{}/messages h:Reply-To": "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-http/",
		})
	})
}

func TestContractBrevo(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "xkeysib-example")}
	base := []string{"Accept: application/json", "Api-Key: xkeysib-example"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const api = "https://api.brevo.com/v3"
	const ref = "https://developers.brevo.com/reference/"
	runContract(t, "brevo", cred, []contractCase{
		// ref + "getaccount"
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/account" + hdr},
		// ref + "sendtransacemail"
		{name: "SendEmail", kind: "activity", activity: "send_email",
			input: map[string]any{"to": "ann@example.com", "to_name": "Ann", "sender_email": "ops@example.com", "subject": "Hello", "html": "<p>Hi</p>", "tags": []any{"welcome"}},
			want: "POST " + api + "/smtp/email" + json +
				`{"htmlContent":"\u003cp\u003eHi\u003c/p\u003e","sender":{"email":"ops@example.com"},"subject":"Hello","tags":["welcome"],"to":[{"email":"ann@example.com","name":"Ann"}]}`},
		{name: "SendTemplate", kind: "activity", activity: "send_email",
			input: map[string]any{"to": "ann@example.com", "template_id": 12, "params": map[string]any{"ORDER": "A-1"}},
			want:  "POST " + api + "/smtp/email" + json + `{"params":{"ORDER":"A-1"},"templateId":12,"to":[{"email":"ann@example.com"}]}`},
		// ref + "sendtransacsms"
		{name: "SendSMS", kind: "activity", activity: "send_sms",
			input: map[string]any{"sender": "Acme", "recipient": "33612345678", "content": "Your code is 1234"},
			want:  "POST " + api + "/transactionalSMS/sms" + json + `{"content":"Your code is 1234","recipient":"33612345678","sender":"Acme"}`},
		// ref + "getcontacts-1"
		{name: "ListContacts", object: "contact", operation: "list", retrySafe: true,
			input: map[string]any{"modified_since": "2024-03-10T12:00:00Z", "list_ids": []any{2, 7}},
			want:  "GET " + api + "/contacts?limit=1000&listIds=2&listIds=7&modifiedSince=2024-03-10T12%3A00%3A00Z" + hdr},
		// ref + "getcontactinfo-1"
		{name: "GetContact", object: "contact", operation: "get", retrySafe: true,
			input: map[string]any{"identifier": "ann@example.com"},
			want:  "GET " + api + "/contacts/ann@example.com" + hdr},
		// ref + "createcontact"
		{name: "CreateContact", object: "contact", operation: "create",
			input: map[string]any{"email": "ann@example.com", "attributes": map[string]any{"FIRSTNAME": "Ann"}, "list_ids": []any{2}, "update_enabled": true},
			want:  "POST " + api + "/contacts" + json + `{"attributes":{"FIRSTNAME":"Ann"},"email":"ann@example.com","listIds":[2],"updateEnabled":true}`},
		// ref + "updatecontact"
		{name: "UpdateContact", object: "contact", operation: "update", retrySafe: true,
			input: map[string]any{"identifier": "ann@example.com", "unlink_list_ids": []any{2}},
			want:  "PUT " + api + "/contacts/ann@example.com" + json + `{"unlinkListIds":[2]}`},
		// ref + "deletecontact"
		{name: "DeleteContact", object: "contact", operation: "delete", retrySafe: true,
			input: map[string]any{"identifier": "ann@example.com"},
			want:  "DELETE " + api + "/contacts/ann@example.com" + hdr},
		// ref + "getlists-1", "createlist-1"
		{name: "ListLists", object: "list", operation: "list", retrySafe: true,
			want: "GET " + api + "/contacts/lists?limit=50" + hdr},
		{name: "CreateList", object: "list", operation: "create",
			input: map[string]any{"name": "Customers", "folder_id": 1},
			want:  "POST " + api + "/contacts/lists" + json + `{"folderId":1,"name":"Customers"}`},
		// ref + "addcontacttolist-1"
		{name: "AddToList", kind: "activity", activity: "add_contacts_to_list", retrySafe: true,
			input: map[string]any{"listId": 2, "emails": []any{"ann@example.com"}},
			want:  "POST " + api + "/contacts/lists/2/contacts/add" + json + `{"emails":["ann@example.com"]}`},
		// ref + "getemaileventreport-1"
		{name: "ListEmailEvents", object: "email_event", operation: "list", retrySafe: true,
			input: map[string]any{"days": 7, "event": "hardBounces"},
			want:  "GET " + api + "/smtp/statistics/events?days=7&event=hardBounces&limit=2500" + hdr},
		// ref + "createevent"
		{name: "TrackEvent", kind: "activity", activity: "track_event",
			input: map[string]any{"event_name": "order_created", "email": "ann@example.com", "event_properties": map[string]any{"amount": 42}},
			want:  "POST " + api + "/events" + json + `{"event_name":"order_created","event_properties":{"amount":42},"identifiers":{"email_id":"ann@example.com"}}`},
	})
	t.Run("Webhook", func(t *testing.T) {
		d := catalogCDefinition(t, "brevo")
		c := connector.Credentials{Secrets: secrets("api_key", "k", "webhook_token", "wh-secret-1")}
		// https://developers.brevo.com/docs/transactional-webhooks: a "hard_bounce" delivery.
		body := []byte(`{"event":"hard_bounce","email":"ann@example.com","id":26224,"date":"2024-03-10 13:00:00","ts":1710075600,"message-id":"<202403101300.1@smtp-relay.mailin.fr>","ts_event":1710075600,"subject":"Hello","tag":"welcome","reason":"mailbox does not exist"}`)
		if err := d.VerifyWebhook(c, headers("Authorization", "Bearer wh-secret-1"), body, now); err != nil {
			t.Fatal(err)
		}
		wantUnauthenticated(t, d.VerifyWebhook(c, headers("Authorization", "Bearer guess"), body, now), "wh-secret-1")
		ev, _, err := d.ParseWebhook(c, nil, body)
		if err != nil || ev.Object != "email_event" || ev.Event != "hard_bounce" || ev.ObjectID != "<202403101300.1@smtp-relay.mailin.fr>" {
			t.Fatalf("ParseWebhook = %+v, %v", ev, err)
		}
	})
}

func TestContractKlaviyo(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key", Secrets: secrets("api_key", "pk_example")}
	base := []string{"Accept: application/vnd.api+json", "Authorization: Klaviyo-API-Key pk_example", "Revision: 2024-10-15"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/vnd.api+json")...) + "\n\n"
	const api = "https://a.klaviyo.com/api"
	const ref = "https://developers.klaviyo.com/en/reference/"
	runContract(t, "klaviyo", cred, []contractCase{
		// ref + "get_accounts"
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/accounts" + hdr},
		// ref + "get_profiles"
		{name: "ListProfiles", object: "profile", operation: "list", retrySafe: true,
			input: map[string]any{"filter": `equals(email,"ann@example.com")`},
			want:  "GET " + api + "/profiles?filter=equals%28email%2C%22ann%40example.com%22%29&page%5Bsize%5D=100" + hdr},
		// ref + "create_profile"
		{name: "CreateProfile", object: "profile", operation: "create",
			input: map[string]any{"email": "ann@example.com", "first_name": "Ann", "properties": map[string]any{"plan": "pro"}},
			want: "POST " + api + "/profiles" + json +
				`{"data":{"attributes":{"email":"ann@example.com","first_name":"Ann","properties":{"plan":"pro"}},"type":"profile"}}`},
		// ref + "update_profile"
		{name: "UpdateProfile", object: "profile", operation: "update",
			input: map[string]any{"id": "01GDDKASAP8TKDDA2GRZDSVP4H", "last_name": "Lee"},
			want: "PATCH " + api + "/profiles/01GDDKASAP8TKDDA2GRZDSVP4H" + json +
				`{"data":{"attributes":{"last_name":"Lee"},"id":"01GDDKASAP8TKDDA2GRZDSVP4H","type":"profile"}}`},
		// ref + "create_or_update_profile"
		{name: "UpsertProfile", kind: "activity", activity: "upsert_profile", retrySafe: true,
			input: map[string]any{"email": "ann@example.com", "phone_number": "+15005550006"},
			want: "POST " + api + "/profile-import" + json +
				`{"data":{"attributes":{"email":"ann@example.com","phone_number":"+15005550006"},"type":"profile"}}`},
		// ref + "create_event"
		{name: "TrackEvent", kind: "activity", activity: "track_event",
			input: map[string]any{"metric": "Placed Order", "email": "ann@example.com", "properties": map[string]any{"OrderId": "A-1"}, "value": 42.5},
			want: "POST " + api + "/events" + json +
				`{"data":{"attributes":{"metric":{"data":{"attributes":{"name":"Placed Order"},"type":"metric"}},"profile":{"data":{"attributes":{"email":"ann@example.com"},"type":"profile"}},"properties":{"OrderId":"A-1"},"value":42.5},"type":"event"}}`},
		// ref + "bulk_subscribe_profiles"
		{name: "Subscribe", kind: "activity", activity: "subscribe_to_list", retrySafe: true,
			input: map[string]any{"email": "ann@example.com", "list_id": "Y6nRLr"},
			want: "POST " + api + "/profile-subscription-bulk-create-jobs" + json +
				`{"data":{"attributes":{"profiles":{"data":[{"attributes":{"email":"ann@example.com","subscriptions":{"email":{"marketing":{"consent":"SUBSCRIBED"}}}},"type":"profile"}]}},"relationships":{"list":{"data":{"id":"Y6nRLr","type":"list"}}},"type":"profile-subscription-bulk-create-job"}}`},
		// ref + "add_profiles_to_list"
		{name: "AddToList", kind: "activity", activity: "add_profiles_to_list", retrySafe: true,
			input: map[string]any{"id": "Y6nRLr", "data": []any{map[string]any{"type": "profile", "id": "01GDD"}}},
			want:  "POST " + api + "/lists/Y6nRLr/relationships/profiles" + json + `{"data":[{"id":"01GDD","type":"profile"}]}`},
		// ref + "remove_profiles_from_list"
		{name: "RemoveFromList", kind: "activity", activity: "remove_profiles_from_list", retrySafe: true,
			input: map[string]any{"id": "Y6nRLr", "data": []any{map[string]any{"type": "profile", "id": "01GDD"}}},
			want:  "DELETE " + api + "/lists/Y6nRLr/relationships/profiles" + json + `{"data":[{"id":"01GDD","type":"profile"}]}`},
		// ref + "create_list", "get_lists"
		{name: "CreateList", object: "list", operation: "create",
			input: map[string]any{"name": "Newsletter"},
			want:  "POST " + api + "/lists" + json + `{"data":{"attributes":{"name":"Newsletter"},"type":"list"}}`},
		{name: "ListLists", object: "list", operation: "list", retrySafe: true,
			want: "GET " + api + "/lists" + hdr},
		// ref + "get_campaigns": the channel filter is required
		{name: "ListCampaigns", object: "campaign", operation: "list", retrySafe: true,
			want: "GET " + api + "/campaigns?filter=equals%28messages.channel%2C%27email%27%29" + hdr},
		// ref + "get_events"
		{name: "ListEvents", object: "event", operation: "list", retrySafe: true,
			input: map[string]any{"sort": "-datetime"},
			want:  "GET " + api + "/events?page%5Bsize%5D=100&sort=-datetime" + hdr},
	})
	t.Run("OAuth", func(t *testing.T) { wantOAuthBearer(t, "klaviyo", map[string]string{"client_id": "c"}) })
}

// wantOAuthBearer checks that a connection using the connector's OAuth
// authorization code scheme sends its access token as a bearer token.
func wantOAuthBearer(t *testing.T, key string, fields map[string]string) {
	t.Helper()
	c := connector.Credentials{Auth: "oauth2_authorization_code", Fields: fields,
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("at-1")}
	r, err := catalogCDefinition(t, key).BuildTest(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer at-1" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestContractShopify(t *testing.T) {
	cred := connector.Credentials{Auth: "access_token", Fields: map[string]string{"shop": "acme-store"}, Secrets: secrets("access_token", "shpat_example")}
	base := []string{"Accept: application/json", "X-Shopify-Access-Token: shpat_example"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const api = "https://acme-store.myshopify.com/admin/api/2025-10"
	const ref = "https://shopify.dev/docs/api/admin-rest/latest/resources/"
	runContract(t, "shopify", cred, []contractCase{
		// ref + "shop"
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/shop.json" + hdr},
		// ref + "order#get-orders?status=any"
		{name: "ListOrders", object: "order", operation: "list", retrySafe: true,
			input: map[string]any{"status": "any", "financial_status": "paid", "ids": []any{450789469, 450789470}},
			want:  "GET " + api + "/orders.json?financial_status=paid&ids=450789469%2C450789470&limit=250&status=any" + hdr},
		{name: "GetOrder", object: "order", operation: "get", retrySafe: true,
			input: map[string]any{"order_id": 450789469},
			want:  "GET " + api + "/orders/450789469.json" + hdr},
		// ref + "order#put-orders-order-id"
		{name: "UpdateOrder", object: "order", operation: "update", retrySafe: true,
			input: map[string]any{"order_id": 450789469, "note": "Gift wrap", "tags": "gift, vip"},
			want:  "PUT " + api + "/orders/450789469.json" + json + `{"order":{"id":450789469,"note":"Gift wrap","tags":"gift, vip"}}`},
		// ref + "order#post-orders-order-id-cancel"
		{name: "CancelOrder", kind: "activity", activity: "cancel_order",
			input: map[string]any{"order_id": 450789469, "reason": "customer", "restock": true},
			want:  "POST " + api + "/orders/450789469/cancel.json" + json + `{"reason":"customer","restock":true}`},
		// ref + "product#post-products"
		{name: "CreateProduct", object: "product", operation: "create",
			input: map[string]any{"title": "Burton Custom Freestyle 151", "vendor": "Burton", "status": "draft", "variants": []any{map[string]any{"price": "599.00", "sku": "BCF-151"}}},
			want: "POST " + api + "/products.json" + json +
				`{"product":{"status":"draft","title":"Burton Custom Freestyle 151","variants":[{"price":"599.00","sku":"BCF-151"}],"vendor":"Burton"}}`},
		{name: "UpdateProduct", object: "product", operation: "update", retrySafe: true,
			input: map[string]any{"product_id": 632910392, "status": "active"},
			want:  "PUT " + api + "/products/632910392.json" + json + `{"product":{"id":632910392,"status":"active"}}`},
		{name: "DeleteProduct", object: "product", operation: "delete", retrySafe: true,
			input: map[string]any{"product_id": 632910392},
			want:  "DELETE " + api + "/products/632910392.json" + hdr},
		// ref + "customer#post-customers"
		{name: "CreateCustomer", object: "customer", operation: "create",
			input: map[string]any{"email": "steve.lastnameson@example.com", "first_name": "Steve", "tags": "wholesale"},
			want:  "POST " + api + "/customers.json" + json + `{"customer":{"email":"steve.lastnameson@example.com","first_name":"Steve","tags":"wholesale"}}`},
		// ref + "customer#get-customers-search?query=email:bob.norman@mail.example.com"
		{name: "SearchCustomers", kind: "activity", activity: "search_customers", retrySafe: true,
			input: map[string]any{"query": "email:bob.norman@mail.example.com"},
			want:  "GET " + api + "/customers/search.json?query=email%3Abob.norman%40mail.example.com" + hdr},
		// ref + "product-variant#put-variants-variant-id"
		{name: "UpdateVariant", object: "variant", operation: "update", retrySafe: true,
			input: map[string]any{"variant_id": 808950810, "price": "99.00"},
			want:  "PUT " + api + "/variants/808950810.json" + json + `{"variant":{"id":808950810,"price":"99.00"}}`},
		// ref + "inventorylevel#post-inventory-levels-set"
		{name: "SetInventory", kind: "activity", activity: "set_inventory_level", retrySafe: true,
			input: map[string]any{"inventory_item_id": 808950810, "location_id": 905684977, "available": 42},
			want:  "POST " + api + "/inventory_levels/set.json" + json + `{"available":42,"inventory_item_id":808950810,"location_id":905684977}`},
		// ref + "draftorder#post-draft-orders"
		{name: "DraftOrder", kind: "activity", activity: "create_draft_order",
			input: map[string]any{"line_items": []any{map[string]any{"variant_id": 447654529, "quantity": 1}}, "email": "ann@example.com"},
			want:  "POST " + api + "/draft_orders.json" + json + `{"draft_order":{"email":"ann@example.com","line_items":[{"quantity":1,"variant_id":447654529}]}}`},
		// ref + "fulfillment#post-fulfillments"
		{name: "Fulfill", kind: "activity", activity: "create_fulfillment",
			input: map[string]any{"line_items_by_fulfillment_order": []any{map[string]any{"fulfillment_order_id": 1046000778}}, "tracking_number": "1Z001985", "tracking_company": "UPS", "notify_customer": true},
			want: "POST " + api + "/fulfillments.json" + json +
				`{"fulfillment":{"line_items_by_fulfillment_order":[{"fulfillment_order_id":1046000778}],"notify_customer":true,"tracking_info":{"company":"UPS","number":"1Z001985"}}}`},
		// ref + "fulfillmentorder#get-orders-order-id-fulfillment-orders"
		{name: "FulfillmentOrders", kind: "activity", activity: "list_fulfillment_orders", retrySafe: true,
			input: map[string]any{"order_id": 450789469},
			want:  "GET " + api + "/orders/450789469/fulfillment_orders.json" + hdr},
	})
	t.Run("Webhook", func(t *testing.T) {
		d := catalogCDefinition(t, "shopify")
		const secret = "shpss_example"
		c := connector.Credentials{Auth: "access_token", Fields: map[string]string{"shop": "acme-store"}, Secrets: secrets("access_token", "t", "webhook_secret", secret)}
		body := []byte(`{"id":820982911946154508,"email":"jon@example.com","created_at":"2024-03-10T13:00:00-05:00","total_price":"403.00"}`)
		h := headers("X-Shopify-Hmac-Sha256", hmacBase64(secret, string(body)), "X-Shopify-Topic", "orders/create", "X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5")
		if err := d.VerifyWebhook(c, h, body, now); err != nil {
			t.Fatal(err)
		}
		ev, _, err := d.ParseWebhook(c, h, body)
		if err != nil || ev.Object != "order" || ev.Event != "created" || ev.ObjectID != "820982911946154508" || ev.EventID != "98880550-7158-44d4-b7cd-2c97c8a091b5" {
			t.Fatalf("ParseWebhook = %+v, %v", ev, err)
		}
		h.Set("X-Shopify-Hmac-Sha256", hmacBase64("wrong", string(body)))
		wantUnauthenticated(t, d.VerifyWebhook(c, h, body, now), secret, hmacBase64(secret, string(body)))
	})
	t.Run("OAuthTokenHeader", func(t *testing.T) {
		// Tokens of both OAuth grants go in X-Shopify-Access-Token, never
		// in Authorization.
		for _, auth := range []string{"oauth2_authorization_code", "oauth2_client_credentials"} {
			c := connector.Credentials{Auth: auth, Fields: map[string]string{"shop": "acme-store", "client_id": "c"},
				Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("shpua_example")}
			r, err := catalogCDefinition(t, "shopify").BuildTest(c)
			if err != nil {
				t.Fatal(err)
			}
			if got := wire(r); got != "GET "+api+"/shop.json\nAccept: application/json\nX-Shopify-Access-Token: shpua_example" {
				t.Errorf("%s: got %s", auth, got)
			}
		}
	})
	t.Run("VendorDescription", func(t *testing.T) {
		// shopify-admin.yml is a 2021-10 subset; the rest is in Shopify's
		// REST reference, named per request.
		documented := map[string]string{
			"GET /admin/api/{}/shop.json":                         ref + "shop",
			"DELETE /admin/api/{}/orders/{}.json":                 ref + "order#delete-orders-order-id",
			"POST /admin/api/{}/orders/{}/cancel.json":            ref + "order#post-orders-order-id-cancel",
			"DELETE /admin/api/{}/products/{}.json":               ref + "product#delete-products-product-id",
			"POST /admin/api/{}/inventory_levels/set.json":        ref + "inventorylevel#post-inventory-levels-set",
			"POST /admin/api/{}/inventory_levels/adjust.json":     ref + "inventorylevel#post-inventory-levels-adjust",
			"POST /admin/api/{}/fulfillments.json":                ref + "fulfillment#post-fulfillments",
			"GET /admin/api/{}/orders/{}/fulfillment_orders.json": ref + "fulfillmentorder#get-orders-order-id-fulfillment-orders",
		}
		loadVendorDescription(t, "shopify-admin.yml", "/admin/api/2021-10", "/admin/api/{v}").checkDefinition(t, catalogCDefinition(t, "shopify"), documented)
	})
}

func TestContractWooCommerce(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"store_host": "shop.example.com", "consumer_key": "ck_example"}, Secrets: secrets("consumer_secret", "cs_example")}
	// base64("ck_example:cs_example")
	base := []string{"Accept: application/json", "Authorization: Basic Y2tfZXhhbXBsZTpjc19leGFtcGxl"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const api = "https://shop.example.com/wp-json/wc/v3"
	// The cases follow https://woocommerce.github.io/woocommerce-rest-api-docs/
	// (section named per case); woocommerce.json in the shared corpus
	// describes a Power Automate plugin's own API, not this one.
	runContract(t, "woocommerce", cred, []contractCase{
		// #list-all-settings-groups
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + "/settings" + hdr},
		// #list-all-orders
		{name: "ListOrders", object: "order", operation: "list", retrySafe: true,
			input: map[string]any{"status": []any{"processing", "on-hold"}, "customer": 25},
			want:  "GET " + api + "/orders?customer=25&page=1&per_page=100&status=processing%2Con-hold" + hdr},
		// #create-an-order
		{name: "CreateOrder", object: "order", operation: "create",
			input: map[string]any{"payment_method": "bacs", "set_paid": true, "billing": map[string]any{"email": "john.doe@example.com"}, "line_items": []any{map[string]any{"product_id": 93, "quantity": 2}}},
			want: "POST " + api + "/orders" + json +
				`{"billing":{"email":"john.doe@example.com"},"line_items":[{"product_id":93,"quantity":2}],"payment_method":"bacs","set_paid":true}`},
		// #update-an-order
		{name: "UpdateOrder", object: "order", operation: "update", retrySafe: true,
			input: map[string]any{"id": 727, "status": "completed"},
			want:  "PUT " + api + "/orders/727" + json + `{"status":"completed"}`},
		// #delete-an-order
		{name: "DeleteOrder", object: "order", operation: "delete", retrySafe: true,
			input: map[string]any{"id": 727, "force": true},
			want:  "DELETE " + api + "/orders/727?force=true" + hdr},
		// #create-an-order-note
		{name: "AddOrderNote", kind: "activity", activity: "add_order_note",
			input: map[string]any{"order_id": 727, "note": "Order ok!!!"},
			want:  "POST " + api + "/orders/727/notes" + json + `{"note":"Order ok!!!"}`},
		// #create-a-refund
		{name: "Refund", kind: "activity", activity: "create_refund",
			input: map[string]any{"order_id": 723, "amount": "10.00", "api_refund": false},
			want:  "POST " + api + "/orders/723/refunds" + json + `{"amount":"10.00","api_refund":false}`},
		// #list-all-products
		{name: "ListProducts", object: "product", operation: "list", retrySafe: true,
			input: map[string]any{"sku": "WOO-1"},
			want:  "GET " + api + "/products?page=1&per_page=100&sku=WOO-1" + hdr},
		// #update-a-product
		{name: "UpdateProduct", object: "product", operation: "update", retrySafe: true,
			input: map[string]any{"id": 794, "regular_price": "24.54", "stock_quantity": 3},
			want:  "PUT " + api + "/products/794" + json + `{"regular_price":"24.54","stock_quantity":3}`},
		// #batch-update-products
		{name: "BatchProducts", kind: "activity", activity: "batch_update_products",
			input: map[string]any{"update": []any{map[string]any{"id": 799, "default_attributes": []any{}}}, "delete": []any{794}},
			want:  "POST " + api + "/products/batch" + json + `{"delete":[794],"update":[{"default_attributes":[],"id":799}]}`},
		// #create-a-customer
		{name: "CreateCustomer", object: "customer", operation: "create",
			input: map[string]any{"email": "john.doe@example.com", "first_name": "John"},
			want:  "POST " + api + "/customers" + json + `{"email":"john.doe@example.com","first_name":"John"}`},
		// #create-a-coupon
		{name: "CreateCoupon", object: "coupon", operation: "create",
			input: map[string]any{"code": "10off", "discount_type": "percent", "amount": "10", "individual_use": true},
			want:  "POST " + api + "/coupons" + json + `{"amount":"10","code":"10off","discount_type":"percent","individual_use":true}`},
		// #delete-a-coupon
		{name: "DeleteCoupon", object: "coupon", operation: "delete", retrySafe: true,
			input: map[string]any{"id": 719},
			want:  "DELETE " + api + "/coupons/719?force=true" + hdr},
	})
	t.Run("QueryStringKey", func(t *testing.T) {
		c := cred
		c.Auth = "query_string"
		r, err := catalogCDefinition(t, "woocommerce").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := wire(r); got != "GET "+api+"/settings?consumer_key=ck_example&consumer_secret=cs_example\nAccept: application/json" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("Webhook", func(t *testing.T) {
		d := catalogCDefinition(t, "woocommerce")
		const secret = "wc-webhook-secret"
		c := connector.Credentials{Auth: "api_key", Fields: cred.Fields, Secrets: secrets("consumer_secret", "cs", "webhook_secret", secret)}
		body := []byte(`{"id":727,"status":"processing","date_created_gmt":"2024-03-10T13:00:00","total":"29.35"}`)
		h := headers("X-WC-Webhook-Signature", hmacBase64(secret, string(body)), "X-WC-Webhook-Topic", "order.created", "X-WC-Webhook-Delivery-ID", "41")
		if err := d.VerifyWebhook(c, h, body, now); err != nil {
			t.Fatal(err)
		}
		ev, _, err := d.ParseWebhook(c, h, body)
		if err != nil || ev.Object != "order" || ev.Event != "created" || ev.ObjectID != "727" || ev.EventID != "41" {
			t.Fatalf("ParseWebhook = %+v, %v", ev, err)
		}
		h.Set("X-WC-Webhook-Signature", hmacBase64("guess", string(body)))
		wantUnauthenticated(t, d.VerifyWebhook(c, h, body, now), secret)
	})
}

func TestContractDocuSign(t *testing.T) {
	cred := connector.Credentials{Auth: "oauth2_authorization_code",
		Fields:  map[string]string{"base_host": "demo.docusign.net", "account_id": "7c4e3b0a", "integration_key": "ik"},
		Secrets: secrets("secret_key", "sk"), AccessToken: junction.NewSecret("eyJ0eXAi.example")}
	base := []string{"Accept: application/json", "Authorization: Bearer eyJ0eXAi.example"}
	hdr := headerLines(base...)
	json := headerLines(append(base, "Content-Type: application/json")...) + "\n\n"
	const api = "https://demo.docusign.net/restapi/v2.1/accounts/7c4e3b0a"
	const ref = "https://developers.docusign.com/docs/esign-rest-api/reference/"
	runContract(t, "docusign", cred, []contractCase{
		// ref + "accounts/accounts/get/"
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + api + hdr},
		// ref + "envelopes/envelopes/liststatuschanges/"
		{name: "ListEnvelopes", object: "envelope", operation: "list", retrySafe: true,
			input: map[string]any{"from_date": "2024-03-01T00:00:00Z", "status": "sent,delivered"},
			want:  "GET " + api + "/envelopes?count=100&from_date=2024-03-01T00%3A00%3A00Z&status=sent%2Cdelivered" + hdr},
		// ref + "envelopes/envelopes/get/"
		{name: "GetEnvelope", object: "envelope", operation: "get", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab"},
			want:  "GET " + api + "/envelopes/93be49ab" + hdr},
		// ref + "envelopes/envelopes/create/"
		{name: "CreateEnvelope", object: "envelope", operation: "create",
			input: map[string]any{"emailSubject": "Please sign", "documents": []any{map[string]any{"documentBase64": "JVBERi0=", "name": "NDA", "fileExtension": "pdf", "documentId": "1"}},
				"recipients": map[string]any{"signers": []any{map[string]any{"email": "ann@example.com", "name": "Ann Lee", "recipientId": "1"}}}},
			want: "POST " + api + "/envelopes" + json +
				`{"documents":[{"documentBase64":"JVBERi0=","documentId":"1","fileExtension":"pdf","name":"NDA"}],"emailSubject":"Please sign","recipients":{"signers":[{"email":"ann@example.com","name":"Ann Lee","recipientId":"1"}]},"status":"sent"}`},
		// ref + "envelopes/envelopes/update/": voiding
		{name: "VoidEnvelope", object: "envelope", operation: "update", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab", "status": "voided", "voidedReason": "Sent in error"},
			want:  "PUT " + api + "/envelopes/93be49ab" + json + `{"status":"voided","voidedReason":"Sent in error"}`},
		{name: "Resend", kind: "activity", activity: "resend_envelope", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab"},
			want:  "PUT " + api + "/envelopes/93be49ab?resend_envelope=true" + json + "{}"},
		// https://developers.docusign.com/docs/esign-rest-api/how-to/request-signature-template-remote/
		{name: "SendFromTemplate", kind: "activity", activity: "send_from_template",
			input: map[string]any{"template_id": "b6e1a5f2", "role_name": "Signer", "signer_email": "ann@example.com", "signer_name": "Ann Lee"},
			want: "POST " + api + "/envelopes" + json +
				`{"status":"sent","templateId":"b6e1a5f2","templateRoles":[{"email":"ann@example.com","name":"Ann Lee","roleName":"Signer"}]}`},
		// ref + "envelopes/envelopeviews/createrecipient/"
		{name: "RecipientView", kind: "activity", activity: "create_recipient_view",
			input: map[string]any{"envelopeId": "93be49ab", "return_url": "https://example.com/done", "email": "ann@example.com", "user_name": "Ann Lee", "client_user_id": "1000"},
			want: "POST " + api + "/envelopes/93be49ab/views/recipient" + json +
				`{"authenticationMethod":"none","clientUserId":"1000","email":"ann@example.com","returnUrl":"https://example.com/done","userName":"Ann Lee"}`},
		// ref + "envelopes/enveloperecipients/list/"
		{name: "Recipients", kind: "activity", activity: "list_recipients", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab"},
			want:  "GET " + api + "/envelopes/93be49ab/recipients" + hdr},
		// ref + "envelopes/envelopedocuments/list/"
		{name: "Documents", kind: "activity", activity: "list_documents", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab"},
			want:  "GET " + api + "/envelopes/93be49ab/documents" + hdr},
		// ref + "templates/templates/list/"
		{name: "ListTemplates", object: "template", operation: "list", retrySafe: true,
			input: map[string]any{"search_text": "NDA"},
			want:  "GET " + api + "/templates?count=100&search_text=NDA" + hdr},
	})
	t.Run("Webhook", func(t *testing.T) {
		d := catalogCDefinition(t, "docusign")
		const key = "Dq4XhRvU1QHNJT0f1G0fKq3cnz5c9YfK0Jb2JcPT5Yc="
		c := cred
		c.Secrets = secrets("secret_key", "sk", "connect_hmac_key", key)
		// https://developers.docusign.com/platform/webhooks/connect/json-sim-event-model/
		body := []byte(`{"event":"envelope-completed","apiVersion":"v2.1","uri":"/restapi/v2.1/accounts/7c4e3b0a/envelopes/93be49ab","retryCount":0,"configurationId":10418,"generatedDateTime":"2024-03-10T13:00:00.000Z","data":{"accountId":"7c4e3b0a","userId":"u1","envelopeId":"93be49ab"}}`)
		h := headers("X-DocuSign-Signature-1", hmacBase64(key, string(body)))
		if err := d.VerifyWebhook(c, h, body, now); err != nil {
			t.Fatal(err)
		}
		ev, _, err := d.ParseWebhook(c, h, body)
		if err != nil || ev.Object != "envelope" || ev.Event != "completed" || ev.ObjectID != "93be49ab" {
			t.Fatalf("ParseWebhook = %+v, %v", ev, err)
		}
		h.Set("X-DocuSign-Signature-1", hmacBase64("other", string(body)))
		wantUnauthenticated(t, d.VerifyWebhook(c, h, body, now), key)
	})
	t.Run("OAuthEndpoints", func(t *testing.T) {
		a := catalogCDefinition(t, "docusign").AuthByID("oauth2_authorization_code")
		if a == nil || a.AuthorizeURL != "https://{auth_host}/oauth/auth" || a.TokenURL != "https://{auth_host}/oauth/token" || !a.PKCE {
			t.Fatalf("auth = %+v", a)
		}
	})
}

// catalogCKeys are the connectors this file checks.
var catalogCKeys = []string{"anthropic", "brevo", "docusign", "klaviyo", "mailchimp", "mailgun", "perplexity", "pinecone", "shopify", "woocommerce"}

// TestCatalogCDescribed fails for an operation, activity, input, output or
// event a person would meet without a word of explanation.
func TestCatalogCDescribed(t *testing.T) {
	for _, key := range catalogCKeys {
		d := catalogCDefinition(t, key)
		check := func(where string, op *connector.Operation) {
			if op.Description == "" {
				t.Errorf("%s %s has no description", key, where)
			}
			for _, in := range op.Inputs {
				if in.Description == "" {
					t.Errorf("%s %s: input %s has no description", key, where, in.Name)
				}
			}
			for _, out := range op.Outputs {
				if out.Description == "" {
					t.Errorf("%s %s: output %s has no description", key, where, out.Name)
				}
			}
		}
		for _, o := range d.Objects {
			for _, name := range connector.OperationNames {
				if op := o.Operations.ByName(name); op != nil {
					check(o.Name+"."+name, op)
				}
			}
			for _, e := range o.Events {
				if e.Description == "" {
					t.Errorf("%s %s event %s has no description", key, o.Name, e.Name)
				}
			}
			for _, f := range o.Fields {
				if f.Description == "" {
					t.Errorf("%s %s field %s has no description", key, o.Name, f.Name)
				}
			}
		}
		for i := range d.Activities {
			check("activity "+d.Activities[i].Name, &d.Activities[i].Operation)
		}
	}
}

// TestResponsesCatalogC reads example responses from each vendor's
// reference through the outputs the activities declare, and the vendors'
// authentication failures through auth_failure.
func TestResponsesCatalogC(t *testing.T) {
	creds := map[string]connector.Credentials{
		"anthropic":   {Secrets: secrets("api_key", "k")},
		"perplexity":  {Secrets: secrets("api_key", "k")},
		"pinecone":    {Fields: map[string]string{"index_host": "i.svc.pinecone.io"}, Secrets: secrets("api_key", "k")},
		"mailchimp":   {Auth: "api_key", Fields: map[string]string{"dc": "us6"}, Secrets: secrets("api_key", "k")},
		"mailgun":     {Auth: "api_key", Fields: map[string]string{"domain_name": "mg.example.com"}, Secrets: secrets("api_key", "k")},
		"brevo":       {Secrets: secrets("api_key", "k")},
		"klaviyo":     {Auth: "api_key", Secrets: secrets("api_key", "k")},
		"shopify":     {Auth: "access_token", Fields: map[string]string{"shop": "s"}, Secrets: secrets("access_token", "k")},
		"woocommerce": {Auth: "api_key", Fields: map[string]string{"store_host": "shop.example.com", "consumer_key": "ck"}, Secrets: secrets("consumer_secret", "cs")},
		"docusign": {Auth: "oauth2_authorization_code", Fields: map[string]string{"base_host": "demo.docusign.net", "account_id": "a", "integration_key": "ik"},
			Secrets: secrets("secret_key", "sk"), AccessToken: junction.NewSecret("at")},
	}
	outputs := []struct {
		key, activity string
		input         map[string]any
		body          string
		want          map[string]any
	}{
		// https://docs.anthropic.com/en/api/messages (response example)
		{"anthropic", "ask", map[string]any{"prompt": "Hi"},
			`{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","content":[{"type":"text","text":"Hi! My name is Claude."}],"model":"claude-sonnet-4-20250514","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503}}`,
			map[string]any{"text": "Hi! My name is Claude.", "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "stop_reason": "end_turn"}},
		// https://docs.anthropic.com/en/api/messages-count-tokens
		{"anthropic", "count_tokens", map[string]any{"model": "m", "messages": []any{}}, `{"input_tokens":2095}`, map[string]any{"input_tokens": "2095"}},
		// https://docs.perplexity.ai/api-reference/chat-completions-post
		{"perplexity", "ask", map[string]any{"question": "q"},
			`{"id":"3c90c3cc","model":"sonar","created":1724369245,"usage":{"prompt_tokens":14,"completion_tokens":70,"total_tokens":84},"citations":["https://example.com/a"],"search_results":[{"title":"A","url":"https://example.com/a","date":"2023-12-25"}],"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Mars has two moons [1]."}}]}`,
			map[string]any{"content": "Mars has two moons [1].", "citations": []any{"https://example.com/a"}}},
		// https://docs.perplexity.ai/api-reference/search-post
		{"perplexity", "search", map[string]any{"query": "q"}, `{"results":[{"title":"T","url":"https://example.com","snippet":"S","date":"2025-03-20"}],"id":"e38104d5"}`,
			map[string]any{"results": []any{map[string]any{"title": "T", "url": "https://example.com", "snippet": "S", "date": "2025-03-20"}}}},
		// https://docs.pinecone.io/reference/api/2026-04/data-plane/search_records
		{"pinecone", "search_records", map[string]any{"text": "q"},
			`{"result":{"hits":[{"_id":"rec3","_score":0.82,"fields":{"chunk_text":"Vaccines"}}]},"usage":{"read_units":6,"embed_total_tokens":8}}`,
			map[string]any{"hits": []any{map[string]any{"_id": "rec3", "_score": "0.82", "fields": map[string]any{"chunk_text": "Vaccines"}}}}},
		// https://docs.pinecone.io/reference/api/2026-04/data-plane/upsert
		{"pinecone", "upsert_vectors", map[string]any{"vectors": []any{}}, `{"upsertedCount":2}`, map[string]any{"upserted_count": "2"}},
		// https://docs.pinecone.io/reference/api/2026-04/control-plane/describe_index (response example)
		{"pinecone", "describe_index", map[string]any{"index_name": "movie-recommendations"},
			`{"name":"movie-recommendations","vector_type":"dense","metric":"cosine","dimension":1536,"status":{"ready":true,"state":"Ready"},"host":"movie-recommendations-c01b5b5.svc.us-east1-gcp.pinecone.io","spec":{"serverless":{"region":"us-east-1","cloud":"aws"}},"deletion_protection":"disabled"}`,
			map[string]any{"host": "movie-recommendations-c01b5b5.svc.us-east1-gcp.pinecone.io", "dimension": "1536", "ready": "true", "state": "Ready", "metric": "cosine"}},
		// https://docs.pinecone.io/reference/api/2026-04/inference/generate-embeddings
		{"pinecone", "embed", map[string]any{"inputs": []any{}},
			`{"model":"llama-text-embed-v2","vector_type":"dense","data":[{"values":[0.04,-0.01],"vector_type":"dense"}],"usage":{"total_tokens":130}}`,
			map[string]any{"vector_type": "dense", "total_tokens": "130", "data": []any{map[string]any{"values": []any{"0.04", "-0.01"}, "vector_type": "dense"}}}},
		// https://docs.pinecone.io/reference/api/2026-04/inference/rerank-results
		{"pinecone", "rerank", map[string]any{"query": "q", "documents": []any{}},
			`{"model":"bge-reranker-v2-m3","data":[{"index":2,"score":0.48,"document":{"id":"vec3","text":"Apple Inc."}}],"usage":{"rerank_units":1}}`,
			map[string]any{"rerank_units": "1", "data": []any{map[string]any{"index": "2", "score": "0.48", "document": map[string]any{"id": "vec3", "text": "Apple Inc."}}}}},
		// https://mailchimp.com/developer/marketing/api/search-members/search-members/
		{"mailchimp", "search_members", map[string]any{"query": "ann"}, `{"exact_matches":{"members":[{"id":"h1"}],"total_items":1},"full_search":{"members":[],"total_items":0}}`,
			map[string]any{"exact_matches": []any{map[string]any{"id": "h1"}}, "full_search": []any{}}},
		// https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Messages/
		{"mailgun", "send_email", map[string]any{"from": "a@mg.example.com", "to": []any{"b@example.com"}, "subject": "s", "text": "t"},
			`{"id":"<20111114174239.25659.5817@samples.mailgun.org>","message":"Queued. Thank you."}`,
			map[string]any{"id": "<20111114174239.25659.5817@samples.mailgun.org>", "message": "Queued. Thank you."}},
		// https://developers.brevo.com/reference/sendtransacemail
		{"brevo", "send_email", map[string]any{"to": "a@example.com"}, `{"messageId":"<201798300811.5787683@relay.domain.com>"}`,
			map[string]any{"message_id": "<201798300811.5787683@relay.domain.com>"}},
		// https://developers.klaviyo.com/en/reference/create_or_update_profile
		{"klaviyo", "upsert_profile", map[string]any{"email": "a@example.com"}, `{"data":{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H","attributes":{"email":"a@example.com"}}}`,
			map[string]any{"id": "01GDDKASAP8TKDDA2GRZDSVP4H"}},
		// https://shopify.dev/docs/api/admin-rest/latest/resources/draftorder#post-draft-orders
		{"shopify", "create_draft_order", map[string]any{"line_items": []any{}}, `{"draft_order":{"id":1069920478,"invoice_url":"https://s.myshopify.com/548380009/invoices/4bd1e1a5"}}`,
			map[string]any{"id": "1069920478", "invoice_url": "https://s.myshopify.com/548380009/invoices/4bd1e1a5"}},
		// https://woocommerce.github.io/woocommerce-rest-api-docs/#create-an-order-note
		{"woocommerce", "add_order_note", map[string]any{"order_id": 723, "note": "n"}, `{"id":281,"author":"system","note":"Order ok!!!","customer_note":false}`,
			map[string]any{"id": "281"}},
		// https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createrecipient/
		{"docusign", "create_recipient_view", map[string]any{"envelopeId": "e", "return_url": "https://example.com", "email": "a@example.com", "user_name": "A", "client_user_id": "1"},
			`{"url":"https://demo.docusign.net/Signing/MTRedeem/v1/4b3c...?slt=eyJ0eXAiOiJN"}`, map[string]any{"url": "https://demo.docusign.net/Signing/MTRedeem/v1/4b3c...?slt=eyJ0eXAiOiJN"}},
	}
	for _, tc := range outputs {
		t.Run(tc.key+"/"+tc.activity, func(t *testing.T) {
			r, err := catalogCDefinition(t, tc.key).BuildActivity(creds[tc.key], tc.activity, tc.input)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Outputs([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if g := fmt.Sprint(got[k]); g != fmt.Sprint(want) {
					t.Errorf("output %s = %s, want %s", k, g, fmt.Sprint(want))
				}
			}
		})
	}
	failures := []struct {
		key    string
		status int
		body   string
		want   bool
	}{
		{"anthropic", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, true},
		{"anthropic", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}`, false},
		{"perplexity", 401, `{"error":{"message":"Invalid API key","type":"invalid_api_key","code":401}}`, true},
		{"pinecone", 401, `Invalid API Key`, true},
		{"mailchimp", 401, `{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"API Key Invalid","status":401,"detail":"Your API key may be invalid, or you've attempted to access the wrong datacenter.","instance":"d9b3"}`, true},
		{"mailgun", 401, `Forbidden`, true},
		{"brevo", 401, `{"code":"unauthorized","message":"Key not found"}`, true},
		{"brevo", 400, `{"code":"invalid_parameter","message":"email is not valid"}`, false},
		{"klaviyo", 401, `{"errors":[{"id":"e1","status":401,"code":"not_authenticated","title":"Authentication credentials were not provided."}]}`, true},
		{"shopify", 401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, true},
		{"woocommerce", 401, `{"code":"woocommerce_rest_authentication_error","message":"Invalid signature - provided signature does not match.","data":{"status":401}}`, true},
		{"docusign", 401, `{"errorCode":"AUTHORIZATION_INVALID_TOKEN","message":"The access token provided is expired, revoked or malformed."}`, true},
		{"docusign", 400, `{"errorCode":"USER_AUTHENTICATION_FAILED","message":"One or both of Username and Password are invalid."}`, true},
		{"docusign", 400, `{"errorCode":"ENVELOPE_IS_INCOMPLETE","message":"The Envelope is not Complete."}`, false},
	}
	for _, tc := range failures {
		d := catalogCDefinition(t, tc.key)
		if got := d.IsAuthFailure(connector.Response{StatusCode: tc.status, Body: []byte(tc.body)}); got != tc.want {
			t.Errorf("%s: IsAuthFailure(%d %s) = %v, want %v", tc.key, tc.status, tc.body, got, tc.want)
		}
	}
}

func TestOAuthTokenHeaderName(t *testing.T) {
	const def = `
key: t
display_name: T
version: "1"
base_url: https://api.example.com
auth:
  - type: oauth2_client_credentials
    token_url: https://api.example.com/token
    client_id: "{client_id}"
    name: %s
    fields:
      - {name: client_id, type: text}
`
	d := mustParse(t, fmt.Sprintf(def, "X-Access-Token"))
	c := connector.Credentials{Fields: map[string]string{"client_id": "c"}, AccessToken: junction.NewSecret("tok")}
	r, err := d.BuildHTTPRequest(c, connector.HTTPRequestInput{Method: "GET", Path: "/me"})
	if err != nil {
		t.Fatal(err)
	}
	if got := wire(r); got != "GET https://api.example.com/me\nAccept: application/json\nX-Access-Token: tok" {
		t.Errorf("got %s", got)
	}
	if _, err := connector.Parse([]byte(fmt.Sprintf(def, `"X Access"`))); err == nil || !strings.Contains(err.Error(), "invalid header name") {
		t.Errorf("Parse with a bad header name = %v", err)
	}
}

// catalogC is the built-in catalog, loaded once for this file's tests:
// a load validates every definition against the JSON Schema, which is
// too slow to repeat per case. Definitions are read-only, so sharing
// them is safe.
var catalogC = sync.OnceValues(func() (*connector.Catalog, error) {
	return connector.LoadCatalog(connector.Builtin(), "")
})

func catalogCDefinition(tb testing.TB, key string) *connector.Definition {
	tb.Helper()
	c, err := catalogC()
	if err != nil {
		tb.Fatalf("load built-in catalog: %v", err)
	}
	d, err := c.Get(key)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
