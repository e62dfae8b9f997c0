package awssm_test

import (
	"testing"

	"junction"
	"junction/credstore/awssm"
	"junction/credstore/awssm/awssmtest"
	"junction/credstore/credstoretest"
)

// noRetry keeps failure tests quick: the SDK would otherwise back off
// before reporting an unreachable endpoint.
var noRetry = awssm.Retry{MaxRetries: -1}

type harness struct{ srv *awssmtest.Server }

func (h harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	s, err := awssm.NewType(noRetry).Open(h.srv.Config(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.PutCredential(name, v.Username, v.Value.Reveal())
		return
	}
	h.srv.Put(name, v.Value.Reveal())
}

func (h harness) Remove(t *testing.T, name string) { h.srv.Delete(name) }

func (h harness) SetUnavailable(t *testing.T, down bool) {
	if down {
		h.srv.Stop()
		return
	}
	if err := h.srv.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

func (h harness) SetLoginInvalid(t *testing.T, invalid bool) { h.srv.RejectKey(invalid) }

func TestConformance(t *testing.T) {
	credstoretest.Run(t, harness{awssmtest.New(t)})
}
