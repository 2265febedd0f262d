package natsgwtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WithTLS makes the gateway serve TLS with a fresh self-signed certificate
// for 127.0.0.1 and localhost. Client dials with TLS trusting it;
// ClientTLSConfig and TLSFiles give it to other clients.
func WithTLS() Option { return func(s *settings) { s.tls = true } }

// TLSFiles are the PEM files of the gateway's certificate and key ("" when
// TLS is off). Writing new ones and calling ReloadTLS rotates them.
func (s *Server) TLSFiles() (cert, key string) { return s.cfg.TLSCert, s.cfg.TLSKey }

// ClientTLSConfig trusts the gateway's current certificate (nil when TLS is
// off).
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cfg.TLSCert == "" {
		return nil
	}
	pem, err := os.ReadFile(s.cfg.TLSCert)
	if err != nil {
		s.tb.Fatalf("natsgwtest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// ReloadTLS re-reads the certificate files, as SIGHUP does for `natsgw
// serve`.
func (s *Server) ReloadTLS() error { return s.current().ReloadTLS() }

// WriteSelfSignedCert writes a new self-signed certificate for 127.0.0.1
// and localhost, valid for a day, and its key to certFile and keyFile.
func WriteSelfSignedCert(tb testing.TB, certFile, keyFile string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "natsgwtest"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "PRIVATE KEY", keyDER)
}

// newTLSFiles writes a certificate into a temporary directory.
func newTLSFiles(tb testing.TB) (cert, key string) {
	dir := tb.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	WriteSelfSignedCert(tb, cert, key)
	return cert, key
}
