package engine_test

import (
	"strings"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
)

// A credential store's allowed hosts hold every asset of it, also one that
// has no list of its own and was made before the store was confined.
func TestStoreAllowedHosts(t *testing.T) {
	const key = "key-plant-store-hosts-8e3a"
	f := newFixture(t, fixtureOptions{})
	a := f.vaultAsset(t, "unlisted", junction.AssetSecret, map[string]string{"value": key})
	f.vstore.AllowedHosts = []string{"api.example.com"}
	if err := f.store.UpdateCredentialStore(f.ctx, f.vstore); err != nil {
		t.Fatal(err)
	}

	attacker := newRecorder(t, nil)
	f.trust(attacker.srv)
	conn := f.connection(t, "http", "api_key", map[string]junction.FieldValue{
		"base_url": {Value: attacker.srv.URL}, "api_key": {AssetID: a.ID},
	}, nil)
	_, err := f.eng.Execute(f.ctx, itemsRequest(conn))
	je := wantCode(t, err, junction.ECREDNOTALLOWED)
	if !strings.Contains(je.Message, f.vstore.Name) || je.Field != "fields.api_key" {
		t.Errorf("error %+v should name the store and the field", je)
	}
	credstoretest.AssertNoLeak(t, "error", mustJSON(t, je.Details)+je.Message, junction.NewSecret(key))
	if n, _ := attacker.requests(); n != 0 {
		t.Fatalf("a host outside the store's list got %d requests", n)
	}

	// Within the store's list, the asset's own list still applies.
	api := newKeyedAPI(t, key)
	f.trust(api.srv)
	f.vstore.AllowedHosts = []string{"127.0.0.1"}
	if err := f.store.UpdateCredentialStore(f.ctx, f.vstore); err != nil {
		t.Fatal(err)
	}
	ok := f.connection(t, "http", "api_key", map[string]junction.FieldValue{
		"base_url": {Value: api.srv.URL + "/v1"}, "api_key": {AssetID: a.ID},
	}, nil)
	if _, err := f.eng.Execute(f.ctx, itemsRequest(ok)); err != nil {
		t.Fatal(err)
	}
	a.AllowedHosts = []string{"api.example.com"}
	if err := f.store.UpdateAsset(f.ctx, a); err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.Execute(f.ctx, itemsRequest(ok))
	if je := wantCode(t, err, junction.ECREDNOTALLOWED); !strings.Contains(je.Message, "its allowed hosts") {
		t.Errorf("refused by the asset's own list: %q", je.Message)
	}
}
