package credjson_test

import (
	"errors"
	"testing"

	"junction"
	"junction/credstore/credjson"
	"junction/credstore/credstoretest"
)

func TestRoundTrip(t *testing.T) {
	want := junction.StoredSecret{Username: "svc-erp", Value: junction.NewSecret(`pw-"quoted"\-4f1`)}
	got, err := credjson.Parse("corp", "erp", credjson.Encode(want))
	if err != nil || got.Username != want.Username || !got.Value.Equal(want.Value) {
		t.Fatalf("Parse(Encode) = %q, %v", got.Username, err)
	}
}

func TestParse_Errors(t *testing.T) {
	const pw = "pw-never-in-errors-9c2e"
	for name, value := range map[string]string{
		"NotJSON":        pw,
		"BrokenJSON":     `{"username":"u","password":"` + pw,
		"NoUsername":     `{"password":"` + pw + `"}`,
		"EmptyUsername":  `{"username":"","password":"` + pw + `"}`,
		"NoPassword":     `{"username":"u"}`,
		"PasswordNumber": `{"username":"u","password":12}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := credjson.Parse("corp", "erp", value)
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "external_name" {
				t.Fatalf("Parse = %v, want validation_failed on external_name", err)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(pw))
		})
	}
}
