package connector_test

import (
	"io/fs"
	"testing"

	"junction/connector"
)

// FuzzParse feeds arbitrary documents to the parser: it must return a
// definition or an error, never panic, and what it accepts must build its
// connection test without panicking either.
func FuzzParse(f *testing.F) {
	files, _ := fs.Glob(connector.Builtin(), "*.yaml")
	for _, name := range files {
		data, err := fs.ReadFile(connector.Builtin(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(builderDef))
	f.Add([]byte("key: [unclosed"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := connector.Parse(data)
		if err != nil {
			return
		}
		cred := connector.Credentials{Fields: map[string]string{}, Secrets: secrets()}
		for i := range d.Auth {
			cred.Auth = d.Auth[i].Key()
			for _, fld := range d.ConnectionFields(cred.Auth) {
				if fld.Type == connector.FieldSecret {
					cred.Secrets[fld.Name] = secrets(fld.Name, "v")[fld.Name]
				} else {
					cred.Fields[fld.Name] = "v"
				}
			}
			if d.Test != nil {
				_, _ = d.BuildTest(cred)
			}
			for _, a := range d.Activities {
				_, _ = d.BuildActivity(cred, a.Name, map[string]any{})
			}
		}
	})
}
