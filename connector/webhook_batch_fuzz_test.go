package connector_test

import (
	"net/http"
	"testing"

	"junction"
	"junction/connector"
)

// FuzzWebhookEvents feeds arbitrary bodies to the connectors that read
// batches and forms: reading never panics, and either fails with
// validation_failed or gives events (or a handshake).
func FuzzWebhookEvents(f *testing.F) {
	f.Add([]byte(hubspotBatch))
	f.Add([]byte(xeroDelivery))
	f.Add([]byte(quickBooksDelivery))
	f.Add([]byte(oktaDelivery))
	f.Add([]byte(graphNotifications))
	f.Add(mailchimpSubscribe())
	f.Add([]byte(`a=1&a[b]=2&a[b][c]=3&[x]=y&d[]=e&f[g=h`))
	f.Add([]byte(`{"eventNotifications":[{"dataChangeEvent":{"entities":7}}]}`))
	var defs []*connector.Definition
	for _, key := range []string{"hubspot-crm", "xero", "quickbooks", "okta", "microsoft-outlook", "mailchimp", "discord"} {
		defs = append(defs, catalogCDefinition(f, key))
	}
	cred := connector.Credentials{Fields: map[string]string{"portal_id": "33", "tenant_id": "t", "realm_id": "1185883450"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, d := range defs {
			evs, hs, err := d.ParseWebhookEvents(cred, connector.WebhookRequest{Header: http.Header{}, Body: body})
			switch {
			case err != nil:
				if !junction.IsCode(err, junction.EINVALID) {
					t.Fatalf("%s: %v", d.Key, err)
				}
			case evs == nil && hs == nil:
				t.Fatalf("%s: neither events nor a handshake", d.Key)
			case len(evs) > connector.MaxBatchEvents:
				t.Fatalf("%s: %d events", d.Key, len(evs))
			}
		}
	})
}
