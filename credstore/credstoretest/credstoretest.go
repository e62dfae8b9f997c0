// Package credstoretest is the conformance suite every credential store
// adapter passes, run against a test server that reproduces the vendor's API,
// plus the clock, log capture and restartable TLS server those tests share.
package credstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
)

// Harness connects the suite to one store adapter and its backing test
// server. Methods are called from the test goroutine only; the server itself
// must serve concurrent requests.
//
// Names the suite uses are lower-case letters, digits and dashes, at most 48
// characters, so they are valid in every vendor's naming rules.
type Harness interface {
	// NewStore returns a new store under test, connected to the backing
	// server, not yet logged in. The suite sets opts.Name, opts.Logger,
	// opts.Timeout and opts.Allow (Loopback, where test servers listen, or
	// nothing to see the store refused); the harness keeps opts.Allow, fills
	// in anything else it needs (a Clock shared with its server, a Resolver
	// pointing its host names at 127.0.0.1) and fails t on error. If the store
	// implements junction.Closer the suite closes it when the test ends.
	NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore

	// Put plants a secret directly in the backing server under name,
	// replacing any existing value, the way an operator would.
	Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret)

	// Remove deletes the secret under name from the backing server.
	Remove(t *testing.T, name string)

	// SetUnavailable makes the backing server unreachable, sealed or failing
	// with 5xx when down is true, and serving normally again when false.
	SetUnavailable(t *testing.T, down bool)

	// SetLoginInvalid makes the backing server refuse the login of stores
	// created afterwards (a revoked secret ID, an unknown application, a
	// rejected client secret) when invalid is true, and accept it again when
	// false.
	SetLoginInvalid(t *testing.T, invalid bool)
}

// Loopback is the allowance test servers on 127.0.0.1 need: store traffic
// may not reach loopback addresses unless the server's operator allows them
// (--store-allow).
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// suiteTimeout bounds each request of a store under test so a broken server
// fails the suite instead of hanging it.
const suiteTimeout = 10 * time.Second

// Run exercises the store behind h: Check, reads of both kinds, not found,
// login refused, server unavailable, rotation, writes and deletes for stores
// that implement junction.WritableCredentialStore, concurrent reads, and, in
// every subtest, that no planted secret value reaches an error or a log line.
func Run(t *testing.T, h Harness) {
	t.Run("Check", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			f := newFixture(t, h)
			s := f.store(t)
			if err := s.Check(f.ctx); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
		t.Run("ErrGuard", func(t *testing.T) {
			// Without --store-allow the test server's loopback address is
			// refused at dial time, and the error looks like any other
			// unreachable store but for the cause kept for the log.
			f := newFixture(t, h)
			f.opts.Allow = nil
			s := f.store(t)
			err := s.Check(f.ctx)
			f.assertUnavailable(t, err, "")
			var ue *junction.StoreUnreachableError
			if !errors.As(err, &ue) || !ue.Blocked {
				t.Fatalf("Check: %v, want a StoreUnreachableError refused by the guard (cause %+v)", err, ue)
			}
			if !strings.Contains(ue.Diagnosis, "--store-allow 127.0.0.1/32") {
				t.Errorf("diagnosis %q does not say how to allow the address", ue.Diagnosis)
			}
			if msg := junction.ErrorMessage(err); strings.Contains(msg, "loopback") || strings.Contains(msg, "refused") {
				t.Errorf("message %q tells the guard's refusal apart", msg)
			}
		})
	})

	t.Run("Read", func(t *testing.T) {
		t.Run("Credential", func(t *testing.T) {
			f := newFixture(t, h)
			name := f.name("cred")
			want := junction.StoredSecret{Username: "svc-junction", Value: f.secret()}
			h.Put(t, junction.KindCredential, name, want)
			got := f.mustRead(t, f.store(t), junction.KindCredential, name)
			assertEqual(t, got, want)
		})
		t.Run("Secret", func(t *testing.T) {
			f := newFixture(t, h)
			name := f.name("secret")
			want := junction.StoredSecret{Value: f.secret()}
			h.Put(t, junction.KindSecret, name, want)
			got := f.mustRead(t, f.store(t), junction.KindSecret, name)
			assertEqual(t, got, want)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			f := newFixture(t, h)
			s := f.store(t)
			for _, kind := range []junction.SecretKind{junction.KindCredential, junction.KindSecret} {
				name := f.name("missing")
				_, err := s.Read(f.ctx, kind, name)
				f.assertCode(t, err, junction.ECREDNOTFOUND)
				if msg := junction.ErrorMessage(err); !strings.Contains(msg, name) {
					t.Errorf("Read(%s) not-found message %q does not name %q", kind, msg, name)
				}
			}
		})
		t.Run("ErrNotFoundAfterRemove", func(t *testing.T) {
			f := newFixture(t, h)
			s := f.store(t)
			name := f.name("removed")
			h.Put(t, junction.KindSecret, name, junction.StoredSecret{Value: f.secret()})
			f.mustRead(t, s, junction.KindSecret, name)
			h.Remove(t, name)
			_, err := s.Read(f.ctx, junction.KindSecret, name)
			f.assertCode(t, err, junction.ECREDNOTFOUND)
		})
		t.Run("Rotation", func(t *testing.T) {
			f := newFixture(t, h)
			s := f.store(t)
			name := f.name("rotated")
			first := junction.StoredSecret{Username: "svc-a", Value: f.secret()}
			h.Put(t, junction.KindCredential, name, first)
			assertEqual(t, f.mustRead(t, s, junction.KindCredential, name), first)
			second := junction.StoredSecret{Username: "svc-b", Value: f.secret()}
			h.Put(t, junction.KindCredential, name, second)
			assertEqual(t, f.mustRead(t, s, junction.KindCredential, name), second)
		})
	})

	t.Run("ErrAuth", func(t *testing.T) {
		f := newFixture(t, h)
		name := f.name("guarded")
		want := junction.StoredSecret{Value: f.secret()}
		h.Put(t, junction.KindSecret, name, want)

		h.SetLoginInvalid(t, true)
		t.Cleanup(func() { h.SetLoginInvalid(t, false) })
		s := f.store(t)
		f.assertCode(t, s.Check(f.ctx), junction.ECREDSTOREAUTH)
		_, err := s.Read(f.ctx, junction.KindSecret, name)
		f.assertCode(t, err, junction.ECREDSTOREAUTH)

		// A refused login is not remembered: once the vault accepts Junction
		// again, the same store recovers without being rebuilt.
		h.SetLoginInvalid(t, false)
		if err := s.Check(f.ctx); err != nil {
			t.Fatalf("Check after login restored: %v", err)
		}
		assertEqual(t, f.mustRead(t, s, junction.KindSecret, name), want)
	})

	t.Run("ErrUnavailable", func(t *testing.T) {
		f := newFixture(t, h)
		name := f.name("while-down")
		want := junction.StoredSecret{Username: "svc-down", Value: f.secret()}
		h.Put(t, junction.KindCredential, name, want)
		s := f.store(t)
		f.mustRead(t, s, junction.KindCredential, name) // logged in and warm

		h.SetUnavailable(t, true)
		t.Cleanup(func() { h.SetUnavailable(t, false) })
		_, err := s.Read(f.ctx, junction.KindCredential, name)
		f.assertUnavailable(t, err, name)
		f.assertUnavailable(t, s.Check(f.ctx), name)
		f.assertUnavailable(t, f.store(t).Check(f.ctx), name) // never logged in

		h.SetUnavailable(t, false)
		assertEqual(t, f.mustRead(t, s, junction.KindCredential, name), want)
	})

	t.Run("Write", func(t *testing.T) {
		f := newFixture(t, h)
		ws, ok := f.store(t).(junction.WritableCredentialStore)
		if !ok {
			t.Skip("store is read-only")
		}
		t.Run("Credential", func(t *testing.T) {
			name := f.name("written-cred")
			want := junction.StoredSecret{Username: "svc-written", Value: f.secret()}
			f.mustWrite(t, ws, junction.KindCredential, name, want)
			assertEqual(t, f.mustRead(t, ws, junction.KindCredential, name), want)
		})
		t.Run("Secret", func(t *testing.T) {
			name := f.name("written-secret")
			want := junction.StoredSecret{Value: f.secret()}
			f.mustWrite(t, ws, junction.KindSecret, name, want)
			assertEqual(t, f.mustRead(t, ws, junction.KindSecret, name), want)
		})
		t.Run("Overwrite", func(t *testing.T) {
			name := f.name("overwritten")
			f.mustWrite(t, ws, junction.KindCredential, name, junction.StoredSecret{Username: "old", Value: f.secret()})
			want := junction.StoredSecret{Username: "new", Value: f.secret()}
			f.mustWrite(t, ws, junction.KindCredential, name, want)
			assertEqual(t, f.mustRead(t, ws, junction.KindCredential, name), want)
		})
		t.Run("Delete", func(t *testing.T) {
			name := f.name("deleted")
			f.mustWrite(t, ws, junction.KindSecret, name, junction.StoredSecret{Value: f.secret()})
			if err := ws.Delete(f.ctx, name); err != nil {
				f.checkLeak(t, err)
				t.Fatalf("Delete: %v", err)
			}
			_, err := ws.Read(f.ctx, junction.KindSecret, name)
			f.assertCode(t, err, junction.ECREDNOTFOUND)
		})
		t.Run("DeleteMissing", func(t *testing.T) {
			// Deleting what is not there either succeeds (the vault's delete
			// is idempotent) or says not found; nothing else.
			err := ws.Delete(f.ctx, f.name("never-written"))
			if err != nil {
				f.assertCode(t, err, junction.ECREDNOTFOUND)
			}
		})
		t.Run("ErrUnavailable", func(t *testing.T) {
			h.SetUnavailable(t, true)
			defer h.SetUnavailable(t, false)
			name := f.name("write-down")
			f.assertUnavailable(t, ws.Write(f.ctx, junction.KindSecret, name, junction.StoredSecret{Value: f.secret()}), name)
		})
	})

	t.Run("Concurrency", func(t *testing.T) {
		f := newFixture(t, h)
		names := make([]string, 3)
		wants := make([]junction.StoredSecret, 3)
		for i := range names {
			names[i] = f.name(fmt.Sprintf("parallel-%d", i))
			wants[i] = junction.StoredSecret{Username: fmt.Sprintf("svc-%d", i), Value: f.secret()}
			h.Put(t, junction.KindCredential, names[i], wants[i])
		}
		// A store not yet logged in, so concurrent first use races the lazy
		// login as well as the reads.
		s := f.store(t)
		const workers, reads = 8, 6
		var wg sync.WaitGroup
		errs := make(chan error, workers*reads)
		for w := range workers {
			wg.Go(func() {
				for r := range reads {
					i := (w + r) % len(names)
					got, err := s.Read(f.ctx, junction.KindCredential, names[i])
					if err != nil {
						errs <- fmt.Errorf("read %s: %w", names[i], err)
						continue
					}
					if got.Username != wants[i].Username || !got.Value.Equal(wants[i].Value) {
						errs <- fmt.Errorf("read %s: got a different secret", names[i])
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			f.checkLeak(t, err)
			t.Error(err)
		}
	})
}

// fixture is one subtest's context: its store options, log capture and the
// secret values planted so far, which must never leak.
type fixture struct {
	h         Harness
	ctx       context.Context
	storeName string
	prefix    string
	logs      *LogBuffer
	opts      junction.CredentialStoreOptions

	mu      sync.Mutex
	secrets []junction.Secret
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	logger, logs := NewLogger()
	f := &fixture{
		h:         h,
		ctx:       t.Context(),
		storeName: "conformance-store",
		prefix:    "jx-" + randomHex(4),
		logs:      logs,
	}
	f.opts = junction.CredentialStoreOptions{
		Name:    f.storeName,
		Logger:  logger,
		Timeout: suiteTimeout,
		Allow:   Loopback,
	}
	t.Cleanup(func() {
		AssertNoLeak(t, "store logs", logs.String(), f.planted()...)
	})
	return f
}

// store returns a new store under test, closed when the test ends.
func (f *fixture) store(t *testing.T) junction.CredentialStore {
	t.Helper()
	s := f.h.NewStore(t, f.opts)
	if s == nil {
		t.Fatal("harness returned a nil store")
	}
	if c, ok := s.(junction.Closer); ok {
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	return s
}

// name returns a fresh external name, unique across runs against a shared
// server.
func (f *fixture) name(what string) string {
	return f.prefix + "-" + what + "-" + randomHex(3)
}

// secret returns a fresh random secret value and remembers it for leak checks.
func (f *fixture) secret() junction.Secret {
	s := junction.NewSecret("pw-" + randomHex(12))
	f.mu.Lock()
	f.secrets = append(f.secrets, s)
	f.mu.Unlock()
	return s
}

func (f *fixture) planted() []junction.Secret {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]junction.Secret(nil), f.secrets...)
}

func (f *fixture) checkLeak(t *testing.T, err error) {
	t.Helper()
	AssertErrorNoLeak(t, err, f.planted()...)
}

func (f *fixture) mustRead(t *testing.T, s junction.CredentialStore, kind junction.SecretKind, name string) junction.StoredSecret {
	t.Helper()
	v, err := s.Read(f.ctx, kind, name)
	if err != nil {
		f.checkLeak(t, err)
		t.Fatalf("Read(%s, %q): %v", kind, name, err)
	}
	return v
}

func (f *fixture) mustWrite(t *testing.T, s junction.WritableCredentialStore, kind junction.SecretKind, name string, v junction.StoredSecret) {
	t.Helper()
	if err := s.Write(f.ctx, kind, name, v); err != nil {
		f.checkLeak(t, err)
		t.Fatalf("Write(%s, %q): %v", kind, name, err)
	}
}

func (f *fixture) assertCode(t *testing.T, err error, code string) {
	t.Helper()
	f.checkLeak(t, err)
	if got := junction.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
}

// assertUnavailable checks the error names the store and not the secret: the
// message is shown to people who may not know which secrets exist.
func (f *fixture) assertUnavailable(t *testing.T, err error, secretName string) {
	t.Helper()
	f.assertCode(t, err, junction.ECREDSTOREUNAVAILABLE)
	msg := junction.ErrorMessage(err)
	if !strings.Contains(msg, f.storeName) {
		t.Errorf("unavailable message %q does not name the store %q", msg, f.storeName)
	}
	if secretName != "" && strings.Contains(msg, secretName) {
		t.Errorf("unavailable message %q names the secret %q", msg, secretName)
	}
}

func assertEqual(t *testing.T, got, want junction.StoredSecret) {
	t.Helper()
	if got.Username != want.Username {
		t.Errorf("Username = %q, want %q", got.Username, want.Username)
	}
	if !got.Value.Equal(want.Value) {
		t.Errorf("Value differs from the planted value")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
