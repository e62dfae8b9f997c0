package vault

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"junction"
	"junction/credstore/storehttp"
)

// Auth methods Junction can log in to Vault with.
const (
	AuthToken    = "token"
	AuthAppRole  = "approle"
	AuthUserpass = "userpass"
	AuthLDAP     = "ldap"
)

// KV secrets engine versions.
const (
	EngineKV1 = "kv-v1"
	EngineKV2 = "kv-v2"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "hashicorp-vault"

// Type is the hashicorp-vault credential store type, for registration in main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   true,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{Name: "authentication", Key: "auth_method", Options: []junction.ConfigOption{
		{Value: AuthToken, Keys: []string{"token"}, Help: "a Vault token"},
		{Value: AuthAppRole, Keys: []string{"role_id", "secret_id"}, Help: "an AppRole"},
		{Value: AuthUserpass, Keys: []string{"username", "password"}, Help: "a Vault user name and password"},
		{Value: AuthLDAP, Keys: []string{"username", "password"}, Help: "an LDAP user name and password"},
	}}},
	CheckName: checkName,
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

// checkName refuses an external name that is no usable secret path.
func checkName(name string) error {
	if msg := badPath(name); msg != "" {
		return &junction.Error{Code: junction.EINVALID, Field: "external_name",
			Message: fmt.Sprintf("%q is not a usable Vault secret path: %s", name, msg)}
	}
	return nil
}

var configKeys = []junction.ConfigKey{
	{Name: "address", Required: true, Help: "Vault's base URL, https://vault.example.com:8200"},
	{Name: "auth_method", Required: true, Help: "how Junction logs in: token, approle, userpass or ldap"},
	{Name: "token", Secret: true, Required: true, Help: "Vault token (auth_method token)"},
	{Name: "role_id", Required: true, Help: "AppRole role ID (auth_method approle)"},
	{Name: "secret_id", Secret: true, Required: true, Help: "AppRole secret ID (auth_method approle)"},
	{Name: "username", Required: true, Help: "user name (auth_method userpass or ldap)"},
	{Name: "password", Secret: true, Required: true, Help: "password (auth_method userpass or ldap)"},
	{Name: "auth_mount", Help: "path the auth method is mounted at; defaults to the method's name"},
	{Name: "engine", Help: "KV secrets engine version: kv-v2 (default) or kv-v1"},
	{Name: "mount", Help: "path the KV engine is mounted at; default secret"},
	{Name: "data_path", Help: "prefix under the mount that external names are relative to; may be empty"},
	{Name: "namespace", Help: "Vault Enterprise namespace, sent as X-Vault-Namespace"},
	{Name: "ca_cert", Help: "PEM of the CA that issued Vault's certificate; system roots when empty"},
	{Name: "username_key", Help: "key holding the user name of a credential; default username"},
	{Name: "password_key", Help: "key holding the password of a credential; default password"},
	{Name: "value_key", Help: "key holding the value of a single secret; default value"},
}

// authKeys lists, per auth method, the configuration keys it requires; keys
// of other methods are rejected so a half-edited configuration is caught.
var authKeys = map[string][]string{
	AuthToken:    {"token"},
	AuthAppRole:  {"role_id", "secret_id"},
	AuthUserpass: {"username", "password"},
	AuthLDAP:     {"username", "password"},
}

// config is a validated store configuration.
type config struct {
	address    *url.URL
	authMethod string
	authMount  string
	token      junction.Secret
	roleID     string
	secretID   junction.Secret
	username   string
	password   junction.Secret

	engine    string
	mount     string
	dataPath  string
	namespace string
	caCert    string

	usernameKey string
	passwordKey string
	valueKey    string
}

func parseConfig(raw map[string]string, opts junction.CredentialStoreOptions) (config, error) {
	known := make(map[string]bool, len(configKeys))
	for _, k := range configKeys {
		known[k.Name] = true
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same unknown key every time
	for _, k := range keys {
		if !known[k] {
			return config{}, junction.Invalid(k, "is not a hashicorp-vault setting")
		}
	}
	get := func(k string) string { return strings.TrimSpace(raw[k]) }

	var c config
	var err error
	if c.address, err = storehttp.ParseAddress("address", raw["address"], opts); err != nil {
		return config{}, err
	}
	c.authMethod = get("auth_method")
	need, ok := authKeys[c.authMethod]
	if !ok {
		if c.authMethod == "" {
			return config{}, junction.Invalid("auth_method", "is required: token, approle, userpass or ldap")
		}
		return config{}, junction.Invalid("auth_method", "must be token, approle, userpass or ldap, not %q", c.authMethod)
	}
	for _, k := range need {
		if raw[k] == "" {
			return config{}, junction.Invalid(k, "is required with auth_method %s", c.authMethod)
		}
	}
	for method, ks := range authKeys {
		for _, k := range ks {
			if raw[k] != "" && !slices.Contains(need, k) {
				return config{}, junction.Invalid(k, "does not apply to auth_method %s (it is for %s)", c.authMethod, method)
			}
		}
	}
	// Secret values are kept as given: whitespace may be part of them.
	c.token = junction.NewSecret(raw["token"])
	c.roleID = get("role_id")
	c.secretID = junction.NewSecret(raw["secret_id"])
	c.username = get("username")
	c.password = junction.NewSecret(raw["password"])
	if c.authMethod == AuthToken {
		if raw["auth_mount"] != "" {
			return config{}, junction.Invalid("auth_mount", "does not apply to auth_method token")
		}
	} else {
		c.authMount = strings.Trim(get("auth_mount"), "/")
		if c.authMount == "" {
			c.authMount = c.authMethod
		}
		if err := checkPath("auth_mount", c.authMount); err != nil {
			return config{}, err
		}
	}

	switch c.engine = get("engine"); c.engine {
	case "":
		c.engine = EngineKV2
	case EngineKV1, EngineKV2:
	default:
		return config{}, junction.Invalid("engine", "must be kv-v1 or kv-v2, not %q", c.engine)
	}
	c.mount = strings.Trim(get("mount"), "/")
	if c.mount == "" {
		c.mount = "secret"
	}
	if err := checkPath("mount", c.mount); err != nil {
		return config{}, err
	}
	c.dataPath = strings.Trim(get("data_path"), "/")
	if c.dataPath != "" {
		if err := checkPath("data_path", c.dataPath); err != nil {
			return config{}, err
		}
	}
	c.namespace = strings.Trim(get("namespace"), "/")
	if c.namespace != "" {
		if err := checkPath("namespace", c.namespace); err != nil {
			return config{}, err
		}
	}
	c.caCert = raw["ca_cert"]
	if strings.TrimSpace(c.caCert) != "" {
		if _, err := storehttp.ParseCAPEM("ca_cert", c.caCert); err != nil {
			return config{}, err
		}
	}
	c.usernameKey = keyOr(get("username_key"), "username")
	c.passwordKey = keyOr(get("password_key"), "password")
	c.valueKey = keyOr(get("value_key"), "value")
	if c.usernameKey == c.passwordKey {
		return config{}, junction.Invalid("password_key", "must differ from username_key")
	}
	return c, nil
}

func keyOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// checkPath rejects path settings that would escape or confuse the URL Vault
// is called at.
func checkPath(field, p string) error {
	if msg := badPath(p); msg != "" {
		return junction.Invalid(field, "%s", msg)
	}
	return nil
}

func badPath(p string) string {
	if p == "" {
		return "must not be empty"
	}
	if strings.ContainsAny(p, "?#%\\") {
		return "must not contain ?, #, % or \\"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "must not contain control characters"
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return "must not contain empty segments (//) or start or end with /"
		case ".", "..":
			return "must not contain . or .. segments"
		}
	}
	return ""
}
