package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/tenant"
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

	flags          *pflag.FlagSet // the above, to tell a flag set to "" from one left out
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Run executes the natsgw command line with args. Commands read stdin and
// write stdout and stderr only through the given streams, so tests call Run
// with buffers.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRoot(stdin, stdout, stderr)
	if err := checkLeadingFlags(root, args); err != nil {
		return &usageError{cmd: root, err: err}
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		if ue.cmd == nil {
			ue.cmd = cmd
		}
	case err != nil && strings.HasPrefix(err.Error(), "unknown command "):
		return &usageError{cmd: cmd, err: errors.New(strings.TrimSpace(err.Error()))}
	}
	return err
}

// usageError is a command line the command cannot run: the message says
// what is wrong and points to the command's --help.
type usageError struct {
	cmd *cobra.Command // set by Run when nil
	err error
}

func (e *usageError) Error() string {
	path := "natsgw"
	if e.cmd != nil {
		path = e.cmd.CommandPath()
	}
	return fmt.Sprintf("%v\nRun '%s --help' for usage.", e.err, path)
}

func (e *usageError) Unwrap() error { return e.err }

// usagef is a usage error of the command being run.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// checkLeadingFlags rejects an unknown flag before the command name.
// Cobra would take "--bogus pub a" as --bogus=pub and then complain about
// an unknown command "a".
func checkLeadingFlags(root *cobra.Command, args []string) error {
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	fs := pflag.NewFlagSet("root", pflag.ContinueOnError)
	fs.AddFlagSet(root.PersistentFlags())
	fs.AddFlagSet(root.Flags())
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return nil // the command name (or an argument) from here on
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		if strings.HasPrefix(a, "--") {
			f = fs.Lookup(name)
		} else if len(name) == 1 {
			f = fs.ShorthandLookup(name)
		}
		if f == nil {
			return fmt.Errorf("unknown flag: %s", a)
		}
		if !hasValue && f.NoOptDefVal == "" {
			i++ // its value
		}
	}
	return nil
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "natsgw",
		Short: "natsgw: messaging made simple — NATS pub/sub, request-reply, streams, KV and objects over one gRPC endpoint",
		Long: `natsgw: messaging made simple — NATS pub/sub, request-reply, streams, KV
and objects over one gRPC endpoint, per organization.

Getting started: run "natsgw serve" (the gateway on localhost:50056, with an
embedded NATS server keeping its data in ./natsgw-data), then use the other
commands from another terminal; they talk to --server (default
localhost:50056).`,
		Example: `  natsgw serve                                  # start here: the gateway, until Ctrl-C
  natsgw sub 'events.user.*'                    # in another terminal: print messages as they come
  natsgw pub events.user.login hi               # and in a third: publish one
  natsgw reply api.echo --echo                  # answer requests...
  natsgw req api.echo hello                     # ...and ask
  natsgw kv put app-config database.host localhost
  natsgw stream add TASKS --subjects 'tasks.>' --retention workqueue
  natsgw --server gw.example.com:50056 --tls --token ngw_... health`,
		Version:       fmt.Sprintf("%s (%s %s/%s)", server.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("natsgw {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	pf := root.PersistentFlags()
	g.flags = pf
	pf.StringVar(&g.server, "server", envOr("NATSGW_SERVER", natsgw.DefaultTarget), "gateway address (env NATSGW_SERVER)")
	pf.StringVar(&g.org, "org", envOr("NATSGW_ORG", ""), "organization to act in (env NATSGW_ORG; default: the gateway's default)")
	pf.StringVar(&g.user, "user", envOr("NATSGW_USER", ""), "user to act as (env NATSGW_USER)")
	pf.StringVar(&g.token, "token", envOr("NATSGW_TOKEN", ""), "bearer token (env NATSGW_TOKEN)")
	pf.BoolVar(&g.tls, "tls", envOr("NATSGW_TLS", "") == "true", "connect over TLS, verifying the gateway with the system's roots (env NATSGW_TLS=true)")
	pf.StringVar(&g.tlsCA, "tls-ca", envOr("NATSGW_TLS_CA", ""), "connect over TLS, verifying the gateway with this PEM CA file (env NATSGW_TLS_CA)")
	pf.DurationVar(&g.timeout, "timeout", 5*time.Second, "timeout of each call to the gateway (connect, pub, req, health, kv; not the lifetime of sub, reply or kv watch)")

	root.AddCommand(newServeCmd(stdout, stderr))
	addClientCommands(root, g)
	wrapArgs(root)
	return root
}

// wrapArgs makes the argument checks of cmd and its subcommands usage
// errors. A command group (stream, kv, ...) given an unknown subcommand
// says so, rather than printing its help and exiting 0.
func wrapArgs(cmd *cobra.Command) {
	switch check := cmd.Args; {
	case cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable():
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			c.SuggestionsMinimumDistance = 2 // cobra's default for the root
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
			}
			return &usageError{cmd: c, err: errors.New(msg)}
		}
	case check != nil:
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &usageError{cmd: c, err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		wrapArgs(sub)
	}
}

// dial connects to the gateway with the global flags (plus opts), within
// --timeout.
func (g *globals) dial(ctx context.Context, opts ...natsgw.Option) (*natsgw.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	for _, id := range []struct {
		flag, value string
		check       func(string) error
		opt         func(string) natsgw.Option
	}{{"org", g.org, tenant.ValidateOrg, natsgw.WithOrg}, {"user", g.user, tenant.ValidateUser, natsgw.WithUser}} {
		if id.value == "" && !g.flags.Changed(id.flag) {
			continue // the gateway's default
		}
		if err := id.check(id.value); err != nil {
			if id.value == "" {
				return nil, usagef("--%s must not be empty (leave it out for the gateway's default)", id.flag)
			}
			return nil, usagef("--%s %q: %v", id.flag, id.value, err)
		}
		opts = append(opts, id.opt(id.value))
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
