package connector_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/connector"
)

const (
	snsCertURL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
	snsTopic   = "arn:aws:sns:eu-west-1:123456789012:ses-events"
)

// snsSigner signs SNS messages as SNS does
// (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
// the fields, "Name\nvalue\n" each in order, with the certificate's key.
type snsSigner struct {
	key *rsa.PrivateKey
	pem []byte
}

func newSNSSigner(t *testing.T) *snsSigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &snsSigner{key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *snsSigner) sign(t *testing.T, m map[string]string, version string) []byte {
	t.Helper()
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var text strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			text.WriteString(k + "\n" + v + "\n")
		}
	}
	var sig []byte
	var err error
	if version == "1" {
		d := sha1.Sum([]byte(text.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(text.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m["SignatureVersion"], m["Signature"] = version, base64.StdEncoding.EncodeToString(sig)
	if m["SigningCertURL"] == "" {
		m["SigningCertURL"] = snsCertURL
	}
	b, _ := json.Marshal(m)
	return b
}

// sesBounce is the bounce event of SES's event publishing examples
// (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html),
// shortened, as the Message of an SNS Notification.
const sesBounce = `{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",` +
	`"bouncedRecipients":[{"emailAddress":"recipient@example.com","action":"failed","status":"5.1.1"}],` +
	`"timestamp":"2017-08-05T00:41:02.669Z","feedbackId":"01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"},` +
	`"mail":{"timestamp":"2017-08-05T00:40:02.012Z","source":"Sender Name <sender@example.com>",` +
	`"messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"]}}`

func snsNotification(topic string) map[string]string {
	return map[string]string{"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"TopicArn": topic, "Message": sesBounce, "Timestamp": "2017-08-05T00:41:02.710Z",
		"UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":c9135db0"}
}

func TestWebhookSES(t *testing.T) {
	d := catalogCDefinition(t, "amazon-ses")
	signer, forger := newSNSSigner(t), newSNSSigner(t)
	cred := connector.Credentials{Auth: "aws_sigv4", Fields: map[string]string{"region": "eu-west-1", "topic_arn": snsTopic}}
	var fetched, confirmed []string
	req := func(body []byte) connector.WebhookRequest {
		return connector.WebhookRequest{Body: body, Header: headers("Content-Type", "text/plain; charset=UTF-8", "x-amz-sns-message-type", "Notification"),
			Certificate: func(url string) ([]byte, error) { fetched = append(fetched, url); return signer.pem, nil },
			Confirm:     func(url string) error { confirmed = append(confirmed, url); return nil }}
	}

	for _, version := range []string{"1", "2"} {
		t.Run("Notification/v"+version, func(t *testing.T) {
			r := req(signer.sign(t, snsNotification(snsTopic), version))
			if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
				t.Fatal(err)
			}
			evs, _, err := d.ParseWebhookEvents(cred, r)
			if err != nil || len(evs) != 1 {
				t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
			}
			e := evs[0]
			if e.Object != "email_event" || e.Event != "bounced" || e.ObjectID != "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000" ||
				e.EventID != "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324" {
				t.Errorf("event = %s.%s %q %q", e.Object, e.Event, e.ObjectID, e.EventID)
			}
		})
	}
	if len(fetched) == 0 || fetched[0] != snsCertURL {
		t.Errorf("certificates fetched: %v", fetched)
	}
	t.Run("OtherTopic", func(t *testing.T) {
		r := req(signer.sign(t, snsNotification("arn:aws:sns:eu-west-1:999999999999:someone-else"), "2"))
		evs, _, err := d.ParseWebhookEvents(cred, r)
		if err != nil || len(evs) != 1 || evs[0].Matched() {
			t.Fatalf("another topic's message: %v, %v", evs, err)
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(forger.sign(t, snsNotification(snsTopic), "2")), now))
	})
	t.Run("ErrTampered", func(t *testing.T) {
		body := strings.Replace(string(signer.sign(t, snsNotification(snsTopic), "2")), "Permanent", "Transient", 1)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req([]byte(body)), now))
	})
	t.Run("ErrCertificateElsewhere", func(t *testing.T) {
		fetched = nil
		for _, u := range []string{"https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem", "http://sns.eu-west-1.amazonaws.com/cert.pem",
			"https://sns.eu-west-1.amazonaws.com/cert.txt", "https://user@sns.eu-west-1.amazonaws.com/cert.pem"} {
			m := snsNotification(snsTopic)
			m["SigningCertURL"] = u
			wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(signer.sign(t, m, "2")), now))
		}
		if len(fetched) != 0 {
			t.Fatalf("fetched %v", fetched)
		}
	})
	subscription := func(topic string) map[string]string {
		return map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
			"Token":    "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
			"TopicArn": topic, "Message": "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
			"SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=2336412f37",
			"Timestamp":    "2012-04-26T20:45:04.751Z"}
	}
	t.Run("SubscriptionConfirmation", func(t *testing.T) {
		confirmed = nil
		r := req(signer.sign(t, subscription(snsTopic), "1"))
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, r)
		if err != nil || evs != nil || hs == nil || hs.StatusCode != 200 {
			t.Fatalf("confirmation = %v, %+v, %v", evs, hs, err)
		}
		if len(confirmed) != 1 || !strings.HasPrefix(confirmed[0], "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription") {
			t.Fatalf("confirmed %v", confirmed)
		}
	})
	t.Run("ErrSubscriptionToAnotherTopic", func(t *testing.T) {
		confirmed = nil
		r := req(signer.sign(t, subscription("arn:aws:sns:eu-west-1:999999999999:someone-else"), "2"))
		_, _, err := d.ParseWebhookEvents(cred, r)
		if !junction.IsCode(err, junction.EINVALID) || len(confirmed) != 0 {
			t.Fatalf("another topic's subscription: %v, confirmed %v", err, confirmed)
		}
	})
}
