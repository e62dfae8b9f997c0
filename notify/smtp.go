package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"junction"
)

// Mail is one email to send.
type Mail struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends email. Implementations are safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTPConfig configures an SMTP Mailer.
type SMTPConfig struct {
	// URL is smtp://user@host:587 (STARTTLS, which is required unless the
	// host is a loopback address) or smtps://user@host:465 (TLS from the
	// start). It must not carry the password.
	URL string
	// Password is the user's password, read from a file or the
	// environment; never logged.
	Password junction.Secret
	// From is the sender address.
	From string
	// RootCAs verifies the server's certificate; nil: the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one email's conversation (default 30 s).
	Timeout time.Duration
}

// SMTP sends email through one SMTP server.
type SMTP struct {
	host, addr, user string
	implicitTLS      bool
	password         junction.Secret
	from             *mail.Address
	rootCAs          *x509.CertPool
	timeout          time.Duration
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP checks cfg and returns the Mailer. Errors name the problem, never
// the password.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, junction.Invalid("smtp_url", "must be smtp://user@host:587 or smtps://user@host:465")
	}
	s := &SMTP{host: u.Hostname(), password: cfg.Password, rootCAs: cfg.RootCAs, timeout: cfg.Timeout}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, junction.Invalid("smtp_url", "must start with smtp:// or smtps://")
	}
	if u.User != nil {
		if _, set := u.User.Password(); set {
			return nil, junction.Invalid("smtp_url", "must not carry the password: give it in a file or the environment")
		}
		s.user = u.User.Username()
	}
	s.addr = net.JoinHostPort(s.host, port)
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, junction.Invalid("smtp_from", "must be an email address")
	}
	s.from = from
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	return s, nil
}

// loopback reports whether host names this machine, the only place mail
// may travel unencrypted.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers m in one SMTP conversation.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return junction.Invalid("to", "is not an email address")
	}
	msg, err := s.compose(to, m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	c, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp: sender refused by %s: %w", s.addr, err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("smtp: recipient refused by %s: %w", s.addr, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: data to %s: %w", s.addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write to %s: %w", s.addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: %s did not take the message: %w", s.addr, err)
	}
	return c.Quit()
}

// Check opens a conversation as Send does (connection, TLS or STARTTLS,
// login) and ends it without sending anything.
func (s *SMTP) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	c, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Quit()
}

// open connects, greets, secures and logs in: everything before the
// envelope. The caller closes the client.
func (s *SMTP) open(ctx context.Context) (*smtp.Client, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: connect to %s: %w", s.addr, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	tlsConfig := &tls.Config{ServerName: s.host, RootCAs: s.rootCAs, MinVersion: tls.VersionTLS12}
	if s.implicitTLS {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp: greeting from %s: %w", s.addr, err)
	}
	if err := s.secure(c, tlsConfig); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *SMTP) secure(c *smtp.Client, tlsConfig *tls.Config) error {
	if err := c.Hello("junction"); err != nil {
		return fmt.Errorf("smtp: hello to %s: %w", s.addr, err)
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("smtp: STARTTLS with %s: %w", s.addr, err)
			}
		} else if !loopback(s.host) {
			return fmt.Errorf("smtp: %s does not offer STARTTLS, and Junction sends mail unencrypted to loopback only", s.addr)
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.password.Reveal(), s.host)); err != nil {
			return fmt.Errorf("smtp: %s refused the login of %q: %w", s.addr, s.user, err)
		}
	}
	return nil
}

// compose writes the message: headers and a multipart/alternative body
// with a plain-text and an HTML part, both quoted-printable.
func (s *SMTP) compose(to *mail.Address, m Mail) ([]byte, error) {
	boundary := randomHex(12)
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", time.Now().UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+randomHex(16)+"@"+domainOf(s.from.Address)+">")
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		fmt.Fprintf(&b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", part.typ)
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok {
		return d
	}
	return "junction"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
