package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/natsembed"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/testutil"
)

const (
	clusterSecret = "cluster-secret-0123456789"
	operatorUser  = "operator"
	operatorPass  = "operator-password-0123"
	operatorToken = "operator-token-0123456789"
)

// clusterConfigs are the configurations of an n-node cluster on loopback
// whose routes authenticate with secret.
func clusterConfigs(t *testing.T, n int, secret string) []config.Config {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		testutil.NoErr(t, err, "free port")
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close()
	}
	cfgs := make([]config.Config, n)
	for i := range cfgs {
		cfg := config.Default()
		cfg.Listen = "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		cfg.ShutdownTimeout = config.Duration(5 * time.Second)
		cfg.ServerName = fmt.Sprintf("n%d", i+1)
		cfg.ClusterName = "sec"
		cfg.ClusterListen = fmt.Sprintf("127.0.0.1:%d", ports[i])
		cfg.ClusterSecret = secret
		for j, p := range ports {
			if j != i {
				cfg.Routes = append(cfg.Routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
			}
		}
		cfgs[i] = cfg
	}
	return cfgs
}

// startNodes starts the servers together (a cluster is ready only with a
// quorum) and shuts them down when the test ends.
func startNodes(t *testing.T, cfgs []config.Config) []*server.Server {
	t.Helper()
	nodes := make([]*server.Server, len(cfgs))
	for i, cfg := range cfgs {
		srv, err := server.New(cfg, server.Options{})
		testutil.NoErr(t, err, "new "+cfg.ServerName)
		nodes[i] = srv
	}
	ctx := testutil.Context(t)
	errs := make(chan error, len(nodes))
	for _, srv := range nodes {
		go func() { errs <- srv.Start(ctx) }()
	}
	for range nodes {
		testutil.NoErr(t, <-errs, "start")
	}
	for _, srv := range nodes {
		t.Cleanup(func() { _ = srv.Shutdown(testutil.Context(t)) })
	}
	return nodes
}

// connectRaw connects a plain nats.go client over TCP, without retries.
func connectRaw(rawURL string, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(rawURL, append(opts, nats.MaxReconnects(0), nats.Timeout(5*time.Second))...)
}

// TestNATSListenersNeedCredentials: a raw NATS client without credentials
// (or with wrong ones) is refused on every listener of the embedded NATS:
// --nats-listen, the private client listener of a cluster node, and the
// route listener. The operator credentials (user/password, token) work.
func TestNATSListenersNeedCredentials(t *testing.T) {
	t.Parallel()
	cfgs := clusterConfigs(t, 2, clusterSecret)
	cfgs[0].NATSListen = "127.0.0.1:0"
	cfgs[0].NATSUser, cfgs[0].NATSPassword = operatorUser, operatorPass
	cfgs[1].NATSToken = operatorToken // on the node's private client listener
	nodes := startNodes(t, cfgs)

	listeners := []struct {
		name, url string
		client    bool // a client listener (routes answer differently)
	}{
		{"nats-listen", nodes[0].NATSClientURL(), true},
		{"cluster client listener", nodes[1].NATSClientURL(), true},
		{"route listener", nodes[0].NATSClusterURL(), false},
		{"route listener of node 2", nodes[1].NATSClusterURL(), false},
	}
	wrong := []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"wrong password", []nats.Option{nats.UserInfo(operatorUser, "not-the-password")}},
		{"wrong token", []nats.Option{nats.Token("not-the-token-0123456")}},
		{"internal user without its secret", []nats.Option{nats.UserInfo("natsgw-internal", "")}},
		{"route user over a client connection", []nats.Option{nats.UserInfo(natsembed.RouteUser, clusterSecret)}},
	}
	for _, l := range listeners {
		if l.url == "" {
			t.Fatalf("%s: no URL", l.name)
		}
		for _, w := range wrong {
			t.Run(l.name+"/"+w.name, func(t *testing.T) {
				nc, err := connectRaw(l.url, w.opts...)
				if err == nil {
					nc.Close()
					t.Fatalf("connected to %s (%s)", l.url, w.name)
				}
				if l.client && !errors.Is(err, nats.ErrAuthorization) {
					t.Fatalf("connect to %s: got %v, want an authorization violation", l.url, err)
				}
			})
		}
	}

	ctx := testutil.Context(t)
	operators := []struct {
		name, url string
		opt       nats.Option
	}{
		{"user and password on nats-listen", nodes[0].NATSClientURL(), nats.UserInfo(operatorUser, operatorPass)},
		{"token on the cluster client listener", nodes[1].NATSClientURL(), nats.Token(operatorToken)},
	}
	for i, o := range operators {
		nc, err := connectRaw(o.url, o.opt)
		testutil.NoErr(t, err, o.name)
		js, err := jetstream.New(nc)
		testutil.NoErr(t, err, "jetstream")
		name := fmt.Sprintf("OPS%d", i)
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{fmt.Sprintf("ops%d.>", i)}, Replicas: 2})
		testutil.NoErr(t, err, o.name+": create a stream")
		var names []string
		for n := range js.StreamNames(ctx).Name() {
			names = append(names, n)
		}
		if !contains(names, name) {
			t.Fatalf("%s: streams %v lack %s", o.name, names, name)
		}
		nc.Close()
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rogue starts a plain nats-server (no JetStream) that tries to route to
// routeURL, optionally with route TLS, and subscribes to everything on it.
func rogue(t *testing.T, name, routeURL string, tc *tls.Config) (*natsserver.Server, *nats.Subscription) {
	t.Helper()
	opts := &natsserver.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       natsserver.RANDOM_PORT,
		NoSigs:     true,
		NoLog:      true,
		Cluster:    natsserver.ClusterOpts{Name: "sec", Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, TLSConfig: tc, TLSTimeout: 2},
		Routes:     natsserver.RoutesFromStr(routeURL),
	}
	ns, err := natsserver.NewServer(opts)
	testutil.NoErr(t, err, "rogue "+name)
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(testutil.Eventually) {
		t.Fatalf("rogue %s not ready", name)
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	testutil.NoErr(t, err, "connect to rogue "+name)
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync(">")
	testutil.NoErr(t, err, "subscribe on rogue "+name)
	testutil.NoErr(t, nc.Flush(), "flush")
	return ns, sub
}

// withUser is routeURL carrying a route user and password.
func withUser(routeURL, user, pass string) string {
	u, _ := url.Parse(routeURL)
	u.User = url.UserPassword(user, pass)
	return u.String()
}

// awaitMarkers publishes on node's NATS until sub (on a server that should
// be in the cluster) receives a message: once it has, every route attempt
// that started with it has been answered.
func awaitMarker(t *testing.T, node *server.Server, sub *nats.Subscription) {
	t.Helper()
	nc, err := node.ConnectNATS()
	testutil.NoErr(t, err, "connect to node")
	defer nc.Close()
	testutil.Poll(t, "marker reaches the server with the secret", func() error {
		if err := nc.Publish("tenant.acme.marker", []byte("m")); err != nil {
			return err
		}
		_, err := sub.NextMsg(testutil.Never)
		return err
	})
}

// TestRouteNeedsClusterSecret: servers that present no or a wrong cluster
// secret do not join the cluster and see none of its messages; one with
// the secret does (the control).
func TestRouteNeedsClusterSecret(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, clusterConfigs(t, 2, clusterSecret))
	route := nodes[0].NATSClusterURL()
	none, noneSub := rogue(t, "no-secret", route, nil)
	bad, badSub := rogue(t, "wrong-secret", withUser(route, natsembed.RouteUser, "wrong-secret-0123456789"), nil)
	_, goodSub := rogue(t, "with-secret", withUser(route, natsembed.RouteUser, clusterSecret), nil)
	awaitMarker(t, nodes[0], goodSub)
	for _, r := range []struct {
		ns  *natsserver.Server
		sub *nats.Subscription
	}{{none, noneSub}, {bad, badSub}} {
		if n := r.ns.NumRoutes(); n != 0 {
			t.Errorf("%s has %d routes into the cluster", r.ns.Name(), n)
		}
		if m, err := r.sub.NextMsg(testutil.Never); err == nil {
			t.Errorf("%s received %q from the cluster", r.ns.Name(), m.Subject)
		}
	}
}

// TestRouteTLS: nodes with --cluster-tls-* form a cluster over TLS with
// mutual verification; a server with the secret but without a certificate
// from the cluster's CA does not join.
func TestRouteTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, caKey, caFile := writeCA(t, dir)
	cert, key := writeLeaf(t, dir, "node", ca, caKey)
	cfgs := clusterConfigs(t, 2, clusterSecret)
	for i := range cfgs {
		cfgs[i].ClusterTLSCert, cfgs[i].ClusterTLSKey, cfgs[i].ClusterTLSCA = cert, key, caFile
	}
	nodes := startNodes(t, cfgs) // ready means the JetStream meta group formed over the routes

	route := withUser(nodes[0].NATSClusterURL(), natsembed.RouteUser, clusterSecret)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	pair, err := tls.LoadX509KeyPair(cert, key)
	testutil.NoErr(t, err, "key pair")
	otherCA, otherKey, _ := writeCA(t, filepath.Join(dir))
	otherCert, otherKeyFile := writeLeaf(t, dir, "stranger", otherCA, otherKey)
	strangerPair, err := tls.LoadX509KeyPair(otherCert, otherKeyFile)
	testutil.NoErr(t, err, "stranger key pair")

	plain, plainSub := rogue(t, "plaintext", route, nil)
	stranger, strangerSub := rogue(t, "stranger", route, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{strangerPair}, RootCAs: pool, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	_, goodSub := rogue(t, "member", route, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}, RootCAs: pool, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	awaitMarker(t, nodes[0], goodSub)
	for _, r := range []struct {
		ns  *natsserver.Server
		sub *nats.Subscription
	}{{plain, plainSub}, {stranger, strangerSub}} {
		if n := r.ns.NumRoutes(); n != 0 {
			t.Errorf("%s has %d routes into the cluster", r.ns.Name(), n)
		}
		if m, err := r.sub.NextMsg(testutil.Never); err == nil {
			t.Errorf("%s received %q from the cluster", r.ns.Name(), m.Subject)
		}
	}
}

// writeCA writes a fresh CA certificate to dir and returns it, its key and
// its file.
func writeCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	testutil.NoErr(t, err, "CA key")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "natsgw test CA"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	testutil.NoErr(t, err, "CA certificate")
	ca, err := x509.ParseCertificate(der)
	testutil.NoErr(t, err, "parse CA")
	f, err := os.CreateTemp(dir, "ca-*.pem")
	testutil.NoErr(t, err, "CA file")
	defer f.Close()
	testutil.NoErr(t, pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: der}), "write CA")
	return ca, key, f.Name()
}

// writeLeaf writes a certificate for 127.0.0.1 (server and client use)
// signed by ca, and its key, and returns their files.
func writeLeaf(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	testutil.NoErr(t, err, "leaf key")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	testutil.NoErr(t, err, "leaf certificate")
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	testutil.NoErr(t, err, "leaf key")
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	testutil.NoErr(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600), "write leaf")
	testutil.NoErr(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600), "write leaf key")
	return certFile, keyFile
}
