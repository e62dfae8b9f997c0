package connector_test

import (
	"sort"
	"strings"
	"testing"

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
// case; where /work/shared/specs holds the vendor's own description, the
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
