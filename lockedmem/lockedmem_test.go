package lockedmem_test

import (
	"bytes"
	"log/slog"
	"runtime"
	"testing"

	"junction/lockedmem"
)

func TestBuffer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var logs bytes.Buffer
		b, err := lockedmem.New(32, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Destroy()
		if got := len(b.Bytes()); got != 32 {
			t.Fatalf("len = %d, want 32", got)
		}
		if got := cap(b.Bytes()); got != 32 {
			t.Fatalf("cap = %d, want 32 so appends cannot write past the secret", got)
		}
		if !bytes.Equal(b.Bytes(), make([]byte, 32)) {
			t.Fatal("new buffer is not zeroed")
		}
		copy(b.Bytes(), "0123456789abcdef0123456789abcdef")
		if string(b.Bytes()) != "0123456789abcdef0123456789abcdef" {
			t.Fatal("buffer does not keep what was written")
		}
		if runtime.GOOS == "linux" && !b.Locked() {
			// Allowed (low RLIMIT_MEMLOCK), but then a warning must say so.
			if !bytes.Contains(logs.Bytes(), []byte("not locked")) {
				t.Fatalf("memory not locked and no warning logged: %q", logs.String())
			}
		}
	})

	t.Run("LargerThanPage", func(t *testing.T) {
		b, err := lockedmem.New(10000, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Destroy()
		buf := b.Bytes()
		if len(buf) != 10000 {
			t.Fatalf("len = %d", len(buf))
		}
		buf[len(buf)-1] = 1
	})

	t.Run("DestroyTwice", func(t *testing.T) {
		b, err := lockedmem.New(16, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Destroy()
		b.Destroy()
		if b.Bytes() != nil {
			t.Fatal("Bytes after Destroy should be nil")
		}
	})

	t.Run("ErrSize", func(t *testing.T) {
		for _, n := range []int{0, -1} {
			if _, err := lockedmem.New(n, nil); err == nil {
				t.Fatalf("New(%d) succeeded", n)
			}
		}
	})
}
