package server

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// certificate is the gRPC listener's TLS certificate, swapped atomically on
// reload: connections opened after a reload get the new one.
type certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// loadCertificate reads the key pair (so that a bad file fails at New).
func loadCertificate(certFile, keyFile string) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// reload re-reads the files; on error the current certificate stays.
func (c *certificate) reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls-cert, tls-key: %w", err)
	}
	c.cur.Store(&pair)
	return nil
}

// serverOption makes the gRPC server speak TLS (1.2 or later) with c.
func (c *certificate) serverOption() grpc.ServerOption {
	return grpc.Creds(credentials.NewTLS(c.tlsConfig()))
}

// tlsConfig serves c (TLS 1.2 or later), following reloads; the gRPC
// listener and the console use it.
func (c *certificate) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
	}
}
