package engine

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// maxVendorCerts bounds the signing certificates kept: SNS has one per
// region and rotation, so a handful at a time.
const maxVendorCerts = 64

// vendorCerts caches the signing certificates vendors name in deliveries
// (SNS's SigningCertURL), by URL: the URL changes when the certificate
// does, and fetching it for every delivery would put a request to the
// vendor in each one's path.
type vendorCerts struct {
	mu    sync.Mutex
	certs map[string][]byte
}

// certificate returns the certificate at url, fetched through the outbound
// client the first time. The connector has checked that url is the
// vendor's.
func (e *Engine) certificate(ctx context.Context, url string) ([]byte, error) {
	e.vendorCerts.mu.Lock()
	pem, ok := e.vendorCerts.certs[url]
	e.vendorCerts.mu.Unlock()
	if ok {
		return pem, nil
	}
	body, err := e.vendorGET(ctx, url)
	if err != nil {
		return nil, err
	}
	e.vendorCerts.mu.Lock()
	if e.vendorCerts.certs == nil || len(e.vendorCerts.certs) >= maxVendorCerts {
		e.vendorCerts.certs = map[string][]byte{}
	}
	e.vendorCerts.certs[url] = body
	e.vendorCerts.mu.Unlock()
	return body, nil
}

// vendorGET sends a GET a delivery asked for (a certificate, a
// subscription confirmation) through the outbound client. Errors are
// unavailable, so the vendor retries the delivery.
func (e *Engine) vendorGET(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, junction.Internal(err)
	}
	resp, err := e.out.Do(ctx, req, outbound.RequestOptions{MaxResponseBytes: 64 << 10})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, junction.Errorf(junction.EUNAVAILABLE, "the vendor answered %d to a request its delivery asked for", resp.StatusCode)
	}
	return resp.Body, nil
}

// idTokenKeys are the issuers whose ID tokens deliveries may carry, with
// where their signing keys are published: only Google's (Pub/Sub push).
var idTokenKeys = map[string]string{"https://accounts.google.com": "https://www.googleapis.com/oauth2/v3/certs"}

// idTokenVerifiers keeps one key set per issuer: go-oidc caches the keys
// and fetches them again when a token names a key it does not know.
type idTokenVerifiers struct {
	mu   sync.Mutex
	sets map[string]*oidc.RemoteKeySet
}

// verifyIDToken verifies an ID token a delivery carries: signed by one
// of issuer's published keys, for audience, unexpired by the engine's
// clock. Errors: unauthenticated for a token that is not, unavailable
// when the keys cannot be fetched.
func (e *Engine) verifyIDToken(ctx context.Context, issuer, token, audience string) (*connector.IDTokenClaims, error) {
	jwks, ok := idTokenKeys[issuer]
	if !ok {
		return nil, junction.Internal(fmt.Errorf("engine: no keys known for ID tokens of %s", issuer))
	}
	e.idTokens.mu.Lock()
	if e.idTokens.sets == nil {
		e.idTokens.sets = map[string]*oidc.RemoteKeySet{}
	}
	keys := e.idTokens.sets[issuer]
	if keys == nil {
		// The key set outlives this request; its fetches go through the
		// outbound client.
		kctx := oidc.ClientContext(context.Background(), &http.Client{Transport: outboundTransport{c: e.out}})
		keys = oidc.NewRemoteKeySet(kctx, jwks)
		e.idTokens.sets[issuer] = keys
	}
	e.idTokens.mu.Unlock()
	v := oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: audience, Now: e.clock.Now})
	idt, err := v.Verify(ctx, token)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &junction.Error{Code: junction.EUNAUTHENTICATED, Field: "header.Authorization", Message: "the push token is not a valid ID token for this URL"}
	}
	var c connector.IDTokenClaims
	if err := idt.Claims(&c); err != nil {
		return nil, &junction.Error{Code: junction.EUNAUTHENTICATED, Field: "header.Authorization", Message: "the push token's claims cannot be read"}
	}
	return &c, nil
}
