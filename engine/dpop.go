package engine

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// maxDPoPNonces bounds the servers whose nonce is remembered.
const maxDPoPNonces = 1024

// dpopNonces remembers the last DPoP-Nonce each server (origin) gave, so
// the next proof to it carries the nonce at once instead of being refused
// first (RFC 9449 sections 8 and 9). A token endpoint's nonces and an
// API's are kept apart even on one origin (Okta serves both from the
// org's domain, each with nonces of its own). Nonces are not secrets and
// live in memory only: a server that lost one is asked again.
type dpopNonces struct {
	mu sync.Mutex
	m  map[string]string
}

func newDPoPNonces() *dpopNonces { return &dpopNonces{m: map[string]string{}} }

func (n *dpopNonces) get(origin string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[origin]
}

func (n *dpopNonces) put(origin, nonce string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.m[origin]; !ok && len(n.m) >= maxDPoPNonces {
		clear(n.m)
	}
	n.m[origin] = nonce
}

// nonceKey names where a nonce applies: the origin, and whether the
// request is to a resource (carries an access token) or a token endpoint.
func nonceKey(u *url.URL, resource bool) string {
	if resource {
		return "resource " + connector.DPoPOrigin(u)
	}
	return "token " + connector.DPoPOrigin(u)
}

// keep remembers the nonce a response gives, if any.
func (n *dpopNonces) keep(r *outbound.Response, resource bool) {
	if v := r.Header.Get(connector.DPoPNonceHeader); v != "" && r.URL != nil {
		n.put(nonceKey(r.URL, resource), v)
	}
}

// signer adds a DPoP proof to each attempt of a request, with the nonce
// its server last gave, signed at the outbound client's clock. With an
// access token it is a resource request: the token goes in Authorization
// with the DPoP scheme and the proof carries its hash.
func (n *dpopNonces) signer(k *connector.DPoPKey, access junction.Secret) func(*http.Request, time.Time) error {
	return func(r *http.Request, now time.Time) error {
		proof, err := k.Proof(r.Method, r.URL, now, n.get(nonceKey(r.URL, !access.IsZero())), access)
		if err != nil {
			return err
		}
		if !access.IsZero() {
			r.Header.Set("Authorization", connector.TokenTypeDPoP+" "+access.Reveal())
		}
		r.Header.Set(connector.DPoPHeader, proof)
		return nil
	}
}

// withDPoPNonce runs a token request, and once more when the endpoint
// refused it for want of a nonce (400 use_dpop_nonce), which the transport
// has kept by then. fetch builds the request afresh, so a client assertion
// is signed again with a new jti.
func withDPoPNonce(k *connector.DPoPKey, fetch func() (*oauth2.Token, error)) (*oauth2.Token, error) {
	tok, err := fetch()
	var re *oauth2.RetrieveError
	if k != nil && errors.As(err, &re) && re.ErrorCode == connector.ErrorUseDPoPNonce {
		return fetch()
	}
	return tok, err
}
