// Package mailtest runs a real SMTP server, Mailpit, inside the test
// process, and reads what it received through Mailpit's API: tests of
// email go through a real SMTP conversation, not a mock of the mail
// library.
package mailtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mailpit "github.com/axllent/mailpit/cmd"
)

// Server is the process's one Mailpit: SMTP on SMTPAddr (plain, any login
// accepted, as for a loopback relay), its API on APIURL.
type Server struct {
	SMTPAddr string
	APIURL   string
}

var (
	once   sync.Once
	server *Server
	err    error
)

// Start returns the process's Mailpit, starting it on first use. Mailpit
// keeps its configuration in package variables, so one instance serves
// every test; tests tell their mail apart by recipient.
//
// Under the race detector it skips the test: Mailpit races with itself
// (see raceDetector), and .ci/run runs these tests without -race.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if raceDetector {
		tb.Skip("Mailpit races with itself under -race; run without it (.ci/run does)")
	}
	once.Do(func() { server, err = start() })
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	return server
}

func start() (*Server, error) {
	smtpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mailtest")
	if err != nil {
		return nil, err
	}
	// Mailpit's command reads os.Args; it runs until the process ends.
	args := os.Args
	os.Args = []string{"mailpit", "--smtp", smtpAddr, "--listen", httpAddr, "--quiet",
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check",
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure"}
	go mailpit.Execute()
	s := &Server{SMTPAddr: smtpAddr, APIURL: "http://" + httpAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", smtpAddr); err == nil {
					c.Close()
					os.Args = args
					return s, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("mailpit did not start on %s", smtpAddr)
		}
		// Waiting for a server we started to listen; no clock to inject.
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Message is one received email.
type Message struct {
	ID      string
	Subject string
	Text    string
	HTML    string
	Raw     string
}

// Messages returns the emails received for the address, oldest first,
// read in full.
func (s *Server) Messages(tb testing.TB, to string) []Message {
	tb.Helper()
	var list struct {
		Messages []struct {
			ID      string
			Subject string
		}
	}
	s.get(tb, "/api/v1/search?query="+url.QueryEscape("to:"+to), &list)
	var out []Message
	for i := len(list.Messages) - 1; i >= 0; i-- {
		m := list.Messages[i]
		var full struct{ Text, HTML string }
		s.get(tb, "/api/v1/message/"+m.ID, &full)
		out = append(out, Message{ID: m.ID, Subject: m.Subject, Text: full.Text, HTML: full.HTML,
			Raw: s.raw(tb, "/api/v1/message/"+m.ID+"/raw")})
	}
	return out
}

func (s *Server) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(s.APIURL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatal(err)
	}
}

func (s *Server) raw(tb testing.TB, path string) string {
	tb.Helper()
	resp, err := http.Get(s.APIURL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var b []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(b)
}
