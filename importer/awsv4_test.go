package importer_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
	"junction/importer"
)

// Postman's AWS Signature auth becomes aws_sigv4: the literal region and
// service are kept, the keys typed into the collection are not.
func TestImportPostmanAWSv4(t *testing.T) {
	const doc = `{"info": {"name": "Orders API", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	  "auth": {"type": "awsv4", "awsv4": [
	    {"key": "accessKey", "value": "AKIAPLANTED0000"}, {"key": "secretKey", "value": "planted-secret-key"},
	    {"key": "region", "value": "eu-west-1"}, {"key": "service", "value": "execute-api"}]},
	  "item": [{"name": "List orders", "request": {"method": "GET", "url": "https://api.example.com/prod/orders"}}]}`
	res, err := importer.Import([]byte(doc), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	if !slices.Contains(res.AuthTypes, connector.AuthAWSSigV4) {
		t.Fatalf("auth types %v, checklist %+v", res.AuthTypes, res.Checklist)
	}
	a := res.Definition.AuthByID("aws_sigv4")
	if a == nil || a.Service != "execute-api" || a.Region != "{region}" {
		t.Fatalf("auth %+v", a)
	}
	for _, f := range a.Fields {
		if f.Name == "region" && f.Default != "eu-west-1" {
			t.Errorf("region default %q", f.Default)
		}
		if f.Name == "secret_access_key" && f.Type != connector.FieldSecret {
			t.Errorf("secret key field is %s", f.Type)
		}
	}
	j, _ := json.Marshal(res)
	y, _ := yaml.Marshal(res.Definition)
	for _, out := range [][]byte{j, y} {
		if strings.Contains(string(out), "planted") || strings.Contains(string(out), "AKIAPLANTED") {
			t.Errorf("a key typed into the collection reached the draft:\n%s", out)
		}
	}
	// The draft signs: build its request with made-up credentials.
	r, err := res.Definition.BuildActivity(connector.Credentials{Auth: "aws_sigv4",
		Fields: map[string]string{"access_key_id": "AKIA1"}, Secrets: map[string]junction.Secret{"secret_access_key": junction.NewSecret("s")}},
		res.Definition.Activities[0].Name, nil)
	if err != nil || r.Signer() == nil {
		t.Fatalf("draft request: %v", err)
	}
}
