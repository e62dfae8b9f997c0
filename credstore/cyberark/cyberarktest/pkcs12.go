package cyberarktest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"software.sslmate.com/src/go-pkcs12"
)

// EncodePKCS12 bundles a client certificate and its key as PKCS#12 the way
// current OpenSSL does by default (AES-256-CBC with PBKDF2 and SHA-256).
func EncodePKCS12(cert tls.Certificate, password string) ([]byte, error) {
	return encodePKCS12(pkcs12.Modern, cert, password)
}

// EncodeLegacyPKCS12 bundles it with the legacy 3DES and SHA-1 algorithms
// that older Windows and CyberArk tooling still export.
func EncodeLegacyPKCS12(cert tls.Certificate, password string) ([]byte, error) {
	return encodePKCS12(pkcs12.LegacyDES, cert, password)
}

func encodePKCS12(enc *pkcs12.Encoder, cert tls.Certificate, password string) ([]byte, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, errors.New("pkcs12: certificate and key required")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	return enc.Encode(cert.PrivateKey, leaf, nil, password)
}
