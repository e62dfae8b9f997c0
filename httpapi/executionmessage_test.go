package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
)

// A failed execution's record carries the detail its caller was told, as
// error_message on the list and the record, and q finds it by that text;
// the token the upstream refused is in neither.
func TestExecutionErrorMessage(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		const token = "message-token-9a0364b9e9"
		up := newBearerUpstream(t, "someone-else")
		f := e.createFolder(e.admin, "F", "")
		c := e.createConnection(e.admin, bearerConnection(f.ID, "c", up.URL, token))
		p := e.call("POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings).problem(t)
		failedID, _ := p.Details["execution_id"].(string)
		if failedID == "" || p.Detail == "" {
			t.Fatalf("execution problem %+v", p)
		}
		up.accept(token)
		e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings, nil)

		var d executionDetail
		r := e.must(http.StatusOK, "GET", "/api/v1/executions/"+failedID, e.admin, nil, &d)
		if d.ErrorMessage != p.Detail || d.ErrorCode != p.Code {
			t.Fatalf("record %q (%s), want the problem's %q (%s)", d.ErrorMessage, d.ErrorCode, p.Detail, p.Code)
		}
		credstoretest.AssertNoLeak(t, "execution record", string(r.body), junction.NewSecret(token))

		// "rejected the credentials" is in the message only.
		var l list[junction.Execution]
		e.must(http.StatusOK, "GET", "/api/v1/executions?q="+url.QueryEscape("REJECTED the credentials"), e.admin, nil, &l)
		if len(l.Items) != 1 || l.Items[0].ID != failedID || l.Items[0].ErrorMessage != p.Detail {
			t.Fatalf("search by message: %+v", l.Items)
		}
	})
}
