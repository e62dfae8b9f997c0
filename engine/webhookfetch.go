package engine

import (
	"context"
	"net/http"
	"sync"

	"junction"
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
