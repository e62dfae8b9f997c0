package kms_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"junction"
	"junction/kms"
)

func TestOpen_ErrInvalidURL(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	withToken := env(map[string]string{"VAULT_TOKEN": "hvs.test-token-never-printed"})
	for name, tc := range map[string]struct {
		url  string
		opts kms.Options
		want string
	}{
		"NoScheme":        {url: "junction", want: "not a KMS key URL"},
		"UnknownScheme":   {url: "s3kms://bucket/key", want: "is not one of"},
		"Credentials":     {url: "hashivault://user:pw@junction?address=https://vault:8200", opts: kms.Options{LookupEnv: withToken}, want: "must not carry credentials"},
		"VaultNoKey":      {url: "hashivault://?address=https://vault:8200", opts: kms.Options{LookupEnv: withToken}, want: "must name one Transit key"},
		"VaultNoAddress":  {url: "hashivault://junction", opts: kms.Options{LookupEnv: withToken}, want: "needs ?address="},
		"VaultBadAddress": {url: "hashivault://junction?address=ftp://vault", opts: kms.Options{LookupEnv: withToken}, want: "must be an https:// URL"},
		"VaultNoToken":    {url: "hashivault://junction?address=https://vault:8200", opts: kms.Options{LookupEnv: env(nil)}, want: "VAULT_TOKEN"},
		"AzureNotAKey":    {url: "azurekeyvault://myvault.vault.azure.net/secrets/junction", want: "must name a key"},
		"AzureNoVault":    {url: "azurekeyvault:///keys/junction", want: "must name a key"},
		"GCPBadName":      {url: "gcpkms://projects/p/keyRings/r/cryptoKeys/k", want: "must name a key"},
		"GCPBadEndpoint": {url: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k?endpoint=http://kms.local",
			opts: kms.Options{LookupEnv: env(map[string]string{"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.x"})}, want: "must be an https:// URL"},
		"MissingCAFile": {url: "hashivault://junction?address=https://vault:8200", opts: kms.Options{LookupEnv: withToken, CAFile: "/nonexistent/ca.pem"}, want: "CA file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := kms.Open(context.Background(), tc.url, tc.opts)
			if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(junction.ErrorMessage(err), tc.want) {
				t.Fatalf("err = %v, want validation_failed saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "hvs.test-token") {
				t.Fatal("error message repeats a credential")
			}
		})
	}
}

func TestKeyName(t *testing.T) {
	if got := kms.KeyName("hashivault://junction?address=https://vault:8200"); got != "hashivault://junction" {
		t.Fatalf("KeyName = %q", got)
	}
}

func TestOpenAWS_ErrInvalidURL(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none} {
		t.Setenv(k, v)
	}
	for name, tc := range map[string]struct{ url, want string }{
		"NoKey":       {url: "awskms://?region=eu-west-1", want: "must name a key"},
		"NoRegion":    {url: "awskms://alias/junction", want: "needs ?region="},
		"BadEndpoint": {url: "awskms://alias/junction?region=eu-west-1&endpoint=http://kms.local", want: "must be an https:// URL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := kms.Open(context.Background(), tc.url, kms.Options{})
			if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(junction.ErrorMessage(err), tc.want) {
				t.Fatalf("err = %v, want validation_failed saying %q", err, tc.want)
			}
		})
	}
}

func TestOpenGCP_ErrNoCredentials(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	_, err := kms.Open(context.Background(), "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		kms.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(junction.ErrorMessage(err), "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Fatalf("err = %v", err)
	}
}
