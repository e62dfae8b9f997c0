package httpapi_test

import (
	"net/http"
	"testing"
)

// credentialProxyCases registers the matrix's credential proxy and gives
// the credential proxy routes their calls.
func (m *matrix) credentialProxyCases(t *testing.T) map[string]func(*testing.T, *caller) matrixRequest {
	body := func() map[string]any {
		// Port 9 (discard) on loopback: nothing answers, fast.
		return map[string]any{"name": m.unique("proxy"), "url": "https://127.0.0.1:9", "key": "matrix-proxy-key-0123456789abcdef0123"}
	}
	var p idOnly
	m.admin(t, http.StatusCreated, "POST", "/api/v1/credential-proxies", body(), &p)
	return map[string]func(*testing.T, *caller) matrixRequest{
		"createCredentialProxy": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/credential-proxies", body: body()}
		},
		"listCredentialProxies": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: "/api/v1/credential-proxies"}
		},
		"getCredentialProxy": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "GET", path: "/api/v1/credential-proxies/" + p.ID}
		},
		"updateCredentialProxy": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "PATCH", path: "/api/v1/credential-proxies/" + p.ID,
				body: map[string]any{"urls": []string{"https://127.0.0.1:9"}}}
		},
		"deleteCredentialProxy": func(t *testing.T, _ *caller) matrixRequest {
			var o idOnly
			m.admin(t, http.StatusCreated, "POST", "/api/v1/credential-proxies", body(), &o)
			return matrixRequest{method: "DELETE", path: "/api/v1/credential-proxies/" + o.ID}
		},
		"testCredentialProxy": func(*testing.T, *caller) matrixRequest {
			return matrixRequest{method: "POST", path: "/api/v1/credential-proxies/" + p.ID + "/test"}
		},
	}
}
