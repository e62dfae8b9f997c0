package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"junction"
)

// FuzzFilter compiles arbitrary filters and runs those that compile over
// arbitrary webhook bodies, decoded as the runtime decodes a stored event
// (numbers kept exact). Compiling must return nil or a validation error on
// the filter field; evaluating must answer, within the cost limit, with a
// reason whenever it does not match; neither may panic.
func FuzzFilter(f *testing.F) {
	bodies := []string{
		`{"action":"opened","issue":{"id":1,"title":"Broken","state":"open","labels":[{"name":"bug"}]}}`,
		`{"type":"customer.created","data":{"object":{"id":"cus_1","amount":1999,"currency":"eur"}}}`,
		`{"type":"event_callback","event":{"type":"message","ts":"1.2","text":"hi"}}`,
		`{"id":"o-1","type":"order.paid","total":12.5,"lines":[1,2,3],"customer":null}`,
		`[1, "two", {"three": 3}]`,
		`18446744073709551616`,
		`"plain"`,
	}
	filters := []string{
		``,
		`record.state == "open"`,
		`vendor_type == "order.paid"`,
		`record.amount > 100 && record.currency == "eur"`,
		`payload.issue.labels.exists(l, l.name == "bug")`,
		`has(record.total) && record.total >= 10.0`,
		`event == "created" || change == "updated"`,
		`object_id.startsWith("o-") && size(record) > 0`,
		`payload.lines.all(x, x > 0)`,
		`record.title + "x"`,
		`issue.state == "open"`,
		`[1,2,3].map(x, [x, x, x, x]).map(y, [y, y, y, y]).size() > 0`,
		`"a".matches("(a+)+$")`,
		`record.total / 0 == 1`,
	}
	for i, src := range filters {
		f.Add(src, []byte(bodies[i%len(bodies)]))
	}
	f.Fuzz(func(t *testing.T, src string, body []byte) {
		flt, err := compileFilter(src)
		if err != nil {
			var e *junction.Error
			if !errors.As(err, &e) || e.Code != junction.EINVALID || e.Field != "filter" {
				t.Fatalf("compile %q: %v, want a validation error on filter", src, err)
			}
			return
		}
		var payload any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&payload) != nil {
			payload = map[string]any{"raw": string(body)}
		}
		record, _ := payload.(map[string]any)
		v := eventVars{Event: "received", Object: "event", ObjectID: "o-1", VendorType: "order.paid",
			Record: record, Payload: payload}
		ok, why := flt.match(v)
		if !ok && why == "" {
			t.Fatalf("filter %q refused an event without a reason", src)
		}
		if ok && flt != nil && why != "" {
			t.Fatalf("filter %q matched with a reason %q", src, why)
		}
		if strings.TrimSpace(src) == "" && (flt != nil || !ok) {
			t.Fatalf("the empty filter must match everything")
		}
	})
}
