package cyberarktest

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"unicode/utf16"
)

// PKCS#12 object identifiers (RFC 7292).
var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidShroudedKeyBag    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidX509Certificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidPBEWithSHA3DESCBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidSHA1              = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
)

const pkcs12Iterations = 2048

type pfx struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue
}

type macData struct {
	Mac        digestInfo
	MacSalt    []byte
	Iterations int
}

type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

type safeBag struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue
}

type certBag struct {
	ID   asn1.ObjectIdentifier
	Data asn1.RawValue
}

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbeParams struct {
	Salt       []byte
	Iterations int
}

// EncodePKCS12 bundles a client certificate and its key as PKCS#12 with the
// legacy algorithms (SHA-1/3DES key encryption, HMAC-SHA-1 integrity) that
// Windows and CyberArk tooling export and golang.org/x/crypto/pkcs12 reads.
// Only the leaf certificate is included. It is for tests: certificates are
// stored unencrypted inside the MAC-protected bundle.
func EncodePKCS12(cert tls.Certificate, password string) ([]byte, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, errors.New("pkcs12: certificate and key required")
	}
	pw, err := bmpString(password)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(pbeParams{Salt: salt, Iterations: pkcs12Iterations})
	if err != nil {
		return nil, err
	}
	encKey, err := encrypt3DES(keyDER, salt, pw, pkcs12Iterations)
	if err != nil {
		return nil, err
	}
	epki, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidPBEWithSHA3DESCBC, Parameters: asn1.RawValue{FullBytes: params}},
		Data:      encKey,
	})
	if err != nil {
		return nil, err
	}
	certOctets, err := asn1.Marshal(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	cb, err := asn1.Marshal(certBag{ID: oidX509Certificate, Data: explicit0(certOctets)})
	if err != nil {
		return nil, err
	}
	// Two safes, certificate and key, as every common exporter writes them.
	var safes []contentInfo
	for _, bag := range []safeBag{
		{ID: oidCertBag, Value: explicit0(cb)},
		{ID: oidShroudedKeyBag, Value: explicit0(epki)},
	} {
		contents, err := asn1.Marshal([]safeBag{bag})
		if err != nil {
			return nil, err
		}
		octets, err := asn1.Marshal(contents)
		if err != nil {
			return nil, err
		}
		safes = append(safes, contentInfo{ContentType: oidData, Content: explicit0(octets)})
	}
	authSafe, err := asn1.Marshal(safes)
	if err != nil {
		return nil, err
	}
	authOctets, err := asn1.Marshal(authSafe)
	if err != nil {
		return nil, err
	}
	macSalt := make([]byte, 8)
	if _, err := rand.Read(macSalt); err != nil {
		return nil, err
	}
	mac := hmac.New(sha1.New, kdf(macSalt, pw, pkcs12Iterations, 3, 20))
	mac.Write(authSafe)
	return asn1.Marshal(pfx{
		Version:  3,
		AuthSafe: contentInfo{ContentType: oidData, Content: explicit0(authOctets)},
		MacData: macData{
			Mac: digestInfo{
				Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA1, Parameters: asn1.NullRawValue},
				Digest:    mac.Sum(nil),
			},
			MacSalt:    macSalt,
			Iterations: pkcs12Iterations,
		},
	})
}

func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}

func encrypt3DES(plain, salt, pw []byte, iter int) ([]byte, error) {
	block, err := des.NewTripleDESCipher(kdf(salt, pw, iter, 1, 24))
	if err != nil {
		return nil, err
	}
	pad := block.BlockSize() - len(plain)%block.BlockSize()
	buf := append(append([]byte{}, plain...), make([]byte, pad)...)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, kdf(salt, pw, iter, 2, 8)).CryptBlocks(buf, buf)
	return buf, nil
}

// kdf is the PKCS#12 key derivation of RFC 7292 appendix B.2 with SHA-1:
// id 1 derives keys, 2 IVs, 3 MAC keys.
func kdf(salt, password []byte, iterations int, id byte, size int) []byte {
	const u, v = 20, 64
	d := make([]byte, v)
	for i := range d {
		d[i] = id
	}
	fill := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		out := make([]byte, v*((len(b)+v-1)/v))
		for i := range out {
			out[i] = b[i%len(b)]
		}
		return out
	}
	I := append(fill(salt), fill(password)...)
	var out []byte
	one := big.NewInt(1)
	for len(out) < size {
		h := sha1.New()
		h.Write(d)
		h.Write(I)
		a := h.Sum(nil)
		for range iterations - 1 {
			s := sha1.Sum(a)
			a = s[:]
		}
		out = append(out, a...)
		if len(out) >= size {
			break
		}
		b := make([]byte, v)
		for i := range b {
			b[i] = a[i%u]
		}
		bn := new(big.Int).SetBytes(b)
		for j := 0; j < len(I); j += v {
			ij := new(big.Int).SetBytes(I[j : j+v])
			ij.Add(ij, bn).Add(ij, one)
			bs := ij.Bytes()
			if len(bs) > v {
				bs = bs[len(bs)-v:]
			}
			clear(I[j : j+v])
			copy(I[j+v-len(bs):j+v], bs)
		}
	}
	return out[:size]
}

// bmpString encodes a password as PKCS#12 wants it: UTF-16 big-endian with
// a two-byte terminator.
func bmpString(s string) ([]byte, error) {
	out := make([]byte, 0, 2*len(s)+2)
	for _, r := range s {
		if r1, _ := utf16.EncodeRune(r); r1 != 0xfffd {
			return nil, errors.New("pkcs12: password has characters outside the BMP")
		}
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0), nil
}
