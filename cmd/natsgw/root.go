package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

// globals are the client flags every client command shares.
type globals struct {
	server  string
	org     string
	user    string
	token   string
	timeout time.Duration
	tls     bool   // TLS with the system's roots
	tlsCA   string // TLS trusting this CA file

	stdin          io.Reader
	stdout, stderr io.Writer
}

// Run executes the natsgw command line with args. Commands read stdin and
// write stdout and stderr only through the given streams, so tests call Run
// with buffers.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "natsgw",
		Short:         "natsgw: messaging made simple — NATS pub/sub, request-reply, streams, KV and objects over one gRPC endpoint",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", envOr("NATSGW_SERVER", natsgw.DefaultTarget), "gateway address (env NATSGW_SERVER)")
	pf.StringVar(&g.org, "org", envOr("NATSGW_ORG", ""), "organization to act in (env NATSGW_ORG; default: the gateway's default)")
	pf.StringVar(&g.user, "user", envOr("NATSGW_USER", ""), "user to act as (env NATSGW_USER)")
	pf.StringVar(&g.token, "token", envOr("NATSGW_TOKEN", ""), "bearer token (env NATSGW_TOKEN)")
	pf.BoolVar(&g.tls, "tls", envOr("NATSGW_TLS", "") == "true", "connect over TLS, verifying the gateway with the system's roots (env NATSGW_TLS=true)")
	pf.StringVar(&g.tlsCA, "tls-ca", envOr("NATSGW_TLS_CA", ""), "connect over TLS, verifying the gateway with this PEM CA file (env NATSGW_TLS_CA)")
	pf.DurationVar(&g.timeout, "timeout", 5*time.Second, "timeout of each call to the gateway (connect, pub, req, health, kv; not the lifetime of sub, reply or kv watch)")

	root.AddCommand(newServeCmd(stdout, stderr))
	addClientCommands(root, g)
	return root
}

// dial connects to the gateway with the global flags (plus opts), within
// --timeout.
func (g *globals) dial(ctx context.Context, opts ...natsgw.Option) (*natsgw.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if g.org != "" {
		opts = append(opts, natsgw.WithOrg(g.org))
	}
	if g.user != "" {
		opts = append(opts, natsgw.WithUser(g.user))
	}
	if g.token != "" {
		opts = append(opts, natsgw.WithToken(g.token))
	}
	switch {
	case g.tlsCA != "":
		pem, err := os.ReadFile(g.tlsCA)
		if err != nil {
			return nil, &cliError{msg: fmt.Sprintf("--tls-ca: %v", err), err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			err := errors.New("no PEM certificate in " + g.tlsCA)
			return nil, &cliError{msg: "--tls-ca: " + err.Error(), err: err}
		}
		opts = append(opts, natsgw.WithTLS(&tls.Config{RootCAs: pool}))
	case g.tls:
		opts = append(opts, natsgw.WithTLS(nil))
	}
	c, err := natsgw.Dial(ctx, g.server, opts...)
	if errors.Is(err, natsgw.ErrUnavailable) {
		hint := "is `natsgw serve` running? --server or NATSGW_SERVER choose another"
		if !g.tls && g.tlsCA == "" {
			hint += "; a gateway serving TLS needs --tls or --tls-ca"
		}
		return nil, &cliError{msg: fmt.Sprintf("gateway %s is not reachable (%s)", g.server, hint), err: err}
	}
	if err != nil {
		return nil, g.callError("connect to "+g.server, err)
	}
	return c, nil
}

// withClient dials the gateway, runs f with the client, and closes it.
func (g *globals) withClient(ctx context.Context, f func(*natsgw.Client) error) error {
	c, err := g.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// call returns a context for one unary call, bounded by --timeout.
func (g *globals) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.timeout)
}
