package credproxy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
)

const (
	oldKey = "rotation-old-shared-key-71c4e2a9b0d35f68"
	newKey = "rotation-new-shared-key-0be95d2c47a1f36e"
)

func TestParseKeys(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       int
		err        string
	}{
		{name: "OK", text: oldKey + "\n", want: 1},
		{name: "Several", text: "# rotation in progress\n" + oldKey + "\n\n  " + newKey + "  \r\n", want: 2},
		{name: "OnlyComments", text: "# none yet\n\n", want: 0},
		{name: "ErrShort", text: oldKey + "\n\nshort-key-e3b1\n", err: "line 3"},
		{name: "ErrTooMany", text: strings.Repeat(oldKey+"\n", credproxy.MaxKeys+1), err: "at most"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := credproxy.ParseKeys(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseKeys: %v, want an error naming %q", err, tt.err)
				}
				credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(oldKey), junction.NewSecret("short-key-e3b1"))
				return
			}
			if err != nil || len(keys) != tt.want {
				t.Fatalf("ParseKeys: %d keys, %v; want %d", len(keys), err, tt.want)
			}
		})
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add(oldKey + "\n# c\n" + newKey)
	f.Add("short\n")
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := credproxy.ParseKeys(text)
		if err != nil {
			for _, line := range strings.Split(text, "\n") {
				if l := strings.TrimSpace(line); len(l) >= 8 && strings.Contains(err.Error(), l) {
					t.Fatalf("the error %q shows a line of the file", err)
				}
			}
			return
		}
		for _, k := range keys {
			if len(k.Reveal()) < credproxy.MinKeyLen || strings.HasPrefix(k.Reveal(), "#") {
				t.Fatalf("accepted key of %d characters", len(k.Reveal()))
			}
		}
	})
}

// While a key is rotated the proxy accepts both; after the reload that
// drops the old one, only the new.
func TestSeveralKeys_Rotation(t *testing.T) {
	srv, clock := newVault(t)
	srv.Put("secret/junction/rotated", map[string]string{"value": "rotated-value-2f8a"})
	defs := map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}
	p := startProxy(t, proxyConfig{clock: clock, key: oldKey, keys: []string{newKey}, stores: defs})
	for _, key := range []string{oldKey, newKey} {
		s, _ := openClient(t, clientConfig(p, key))
		if _, err := s.Read(t.Context(), junction.KindSecret, "rotated"); err != nil {
			t.Fatalf("Read with one of two keys: %v", err)
		}
	}
	if err := p.server.Reload(defs, []junction.Secret{junction.NewSecret(newKey)}); err != nil {
		t.Fatal(err)
	}
	s, _ := openClient(t, clientConfig(p, oldKey))
	if err := s.Check(t.Context()); junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Check with the dropped key: %v, want %s", err, junction.ECREDSTOREAUTH)
	}
	s, _ = openClient(t, clientConfig(p, newKey))
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check with the new key: %v", err)
	}
	credstoretest.AssertNoLeak(t, "proxy logs", p.logs.String(), junction.NewSecret(oldKey), junction.NewSecret(newKey))
}

// fakeStores is a store type whose value is its configuration, counting
// the adapters opened and closed; a read of "slow" waits for release.
type fakeStores struct {
	mu      sync.Mutex
	opened  int
	closed  map[string]chan struct{} // by value
	entered chan struct{}
	release chan struct{}
}

type fakeStore struct {
	f     *fakeStores
	value string
}

func (s *fakeStore) Check(context.Context) error { return nil }

func (s *fakeStore) Read(ctx context.Context, _ junction.SecretKind, name string) (junction.StoredSecret, error) {
	if name == "slow" {
		s.f.entered <- struct{}{}
		<-s.f.release
	}
	return junction.StoredSecret{Value: junction.NewSecret(s.value)}, nil
}

func (s *fakeStore) Close() error {
	close(s.f.closed[s.value])
	return nil
}

func (f *fakeStores) Type() junction.CredentialStoreType {
	return junction.CredentialStoreType{Name: "fixed", Open: func(config map[string]string, _ junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.opened++
		f.closed[config["value"]] = make(chan struct{})
		return &fakeStore{f: f, value: config["value"]}, nil
	}}
}

func fixed(value string) map[string]credproxy.Definition {
	return map[string]credproxy.Definition{storeRef: {Type: "fixed", Config: map[string]string{"value": value}}}
}

// A reload serves the new definitions at once, keeps the adapter of a
// store whose definition did not change, closes a replaced adapter only
// after the call still using it ends, and changes nothing when the new
// definitions are wrong.
func TestReload(t *testing.T) {
	f := &fakeStores{closed: map[string]chan struct{}{}, entered: make(chan struct{}), release: make(chan struct{})}
	logger, logs := credstoretest.NewLogger()
	keys := []junction.Secret{junction.NewSecret(oldKey)}
	srv, err := credproxy.NewServer(credproxy.ServerOptions{Stores: fixed("v1"), Keys: keys,
		Types: map[string]junction.CredentialStoreType{"fixed": f.Type()}, Allow: credstoretest.Loopback, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ts := credstoretest.NewTLSServer(t, srv.Handler(), credstoretest.TLSServerConfig{})
	s, _ := openClient(t, map[string]string{"url": ts.URL(), "store": storeRef, "ca_cert": ts.CACertPEM(), "key": oldKey})
	read := func(name string) string {
		t.Helper()
		v, err := s.Read(t.Context(), junction.KindSecret, name)
		if err != nil {
			t.Fatalf("Read %s: %v", name, err)
		}
		return v.Value.Reveal()
	}
	if got := read("a"); got != "v1" {
		t.Fatalf("read %q, want v1", got)
	}

	slow := make(chan string)
	go func() {
		v, _ := s.Read(context.Background(), junction.KindSecret, "slow")
		slow <- v.Value.Reveal()
	}()
	<-f.entered
	if err := srv.Reload(fixed("v2"), keys); err != nil {
		t.Fatal(err)
	}
	if got := read("a"); got != "v2" {
		t.Fatalf("after the reload read %q, want v2", got)
	}
	select {
	case <-f.closed["v1"]:
		t.Fatal("the replaced adapter was closed while a call used it")
	default:
	}
	close(f.release)
	if got := <-slow; got != "v1" {
		t.Fatalf("the call started before the reload read %q, want v1", got)
	}
	select {
	case <-f.closed["v1"]:
	case <-time.After(10 * time.Second):
		t.Fatal("the replaced adapter was not closed after its last call")
	}

	t.Run("Unchanged", func(t *testing.T) {
		if err := srv.Reload(fixed("v2"), keys); err != nil {
			t.Fatal(err)
		}
		if f.opened != 2 {
			t.Fatalf("%d adapters opened, want 2: an unchanged store keeps its adapter", f.opened)
		}
	})
	t.Run("ErrBadDefinitions", func(t *testing.T) {
		bad := map[string]credproxy.Definition{storeRef: {Type: "no-such-type"}}
		if err := srv.Reload(bad, keys); err == nil {
			t.Fatal("Reload of an unknown type succeeded")
		}
		if err := srv.Reload(fixed("v3"), nil); err == nil {
			t.Fatal("Reload without a key succeeded")
		}
		if got := read("a"); got != "v2" {
			t.Fatalf("after failed reloads read %q, want v2", got)
		}
	})
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.closed["v2"]:
	default:
		t.Fatal("Close left the current adapter open")
	}
	credstoretest.AssertNoLeak(t, "proxy logs", logs.String(), junction.NewSecret(oldKey))
}
