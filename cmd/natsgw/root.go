package main

import (
	"context"
	"io"
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
	pf.DurationVar(&g.timeout, "timeout", 5*time.Second, "timeout of each call to the gateway")

	root.AddCommand(newServeCmd(stdout, stderr))
	addClientCommands(root, g)
	return root
}

// dial connects to the gateway with the global flags.
func (g *globals) dial(ctx context.Context) (*natsgw.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	var opts []natsgw.Option
	if g.org != "" {
		opts = append(opts, natsgw.WithOrg(g.org))
	}
	if g.user != "" {
		opts = append(opts, natsgw.WithUser(g.user))
	}
	if g.token != "" {
		opts = append(opts, natsgw.WithToken(g.token))
	}
	return natsgw.Dial(ctx, g.server, opts...)
}
