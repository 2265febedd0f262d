package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/natsembed"
)

// embeddedAuth fills the credentials of the embedded NATS into ec: the
// operator credential of its TCP clients, the cluster secret and the route
// TLS, reading the secret files config points at.
func embeddedAuth(cfg config.Config, ec *natsembed.Config) error {
	var err error
	ec.User, ec.Insecure = cfg.NATSUser, cfg.NATSListenInsecure
	if ec.Password, err = secret(cfg.NATSPassword, cfg.NATSPasswordFile, "nats-password-file"); err != nil {
		return err
	}
	if ec.Token, err = secret(cfg.NATSToken, cfg.NATSTokenFile, "nats-token-file"); err != nil {
		return err
	}
	if ec.ClusterSecret, err = secret(cfg.ClusterSecret, cfg.ClusterSecretFile, "cluster-secret-file"); err != nil {
		return err
	}
	if cfg.ClusterTLSCert != "" {
		if ec.ClusterTLS, err = routeTLS(cfg.ClusterTLSCert, cfg.ClusterTLSKey, cfg.ClusterTLSCA); err != nil {
			return err
		}
	}
	return nil
}

// secret is value, or the contents of file (without surrounding white
// space) when file is set.
func secret(value, file, flag string) (string, error) {
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < config.MinSecretLen {
		return "", fmt.Errorf("%s: %s must hold at least %d characters", flag, file, config.MinSecretLen)
	}
	return s, nil
}

// routeTLS is the TLS configuration of routes: this node's certificate for
// both directions; with a CA, each side verifies the other's certificate
// against it.
func routeTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster-tls-cert, cluster-tls-key: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("cluster-tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("cluster-tls-ca: no PEM certificate in " + caFile)
		}
		tc.RootCAs, tc.ClientCAs, tc.ClientAuth = pool, pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}
