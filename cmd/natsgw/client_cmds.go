package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

// addClientCommands adds the client commands (pub, sub, req, reply, health,
// version, kv, ...). Cobra adds `completion` itself.
func addClientCommands(root *cobra.Command, g *globals) {
	root.AddCommand(
		newPubCmd(g), newSubCmd(g),
		newReqCmd(g), newReplyCmd(g),
		newHealthCmd(g), newVersionCmd(g), newStatsCmd(g),
		newTokenCmd(g),
		newStreamCmd(g), newConsumerCmd(g),
		newKVCmd(g),
		newObjCmd(g),
		newTaskCmd(g),
		newBenchCmd(g),
	)
}

// cliError is a failure as the command line shows it (main prefixes
// "natsgw: "); errors.Is still sees the SDK error underneath.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// callError presents a failed call. The gateway's own status text is shown
// as it is (it names the field and rule, the subject, the limit); timeouts
// say which limit ran out; local errors say what was being done.
func (g *globals) callError(action string, err error) error {
	if err == nil {
		return nil
	}
	var ge *natsgw.Error
	switch {
	case errors.Is(err, natsgw.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("%s: timed out after %s (--timeout)", action, g.timeout)
		if errors.As(err, &ge) && strings.Contains(ge.Message, "timed out") {
			msg = ge.Message + " (--timeout)"
		}
		return &cliError{msg: msg, err: err}
	case errors.Is(err, context.Canceled):
		return &cliError{msg: action + ": interrupted", err: err}
	case errors.As(err, &ge):
		return &cliError{msg: explain(ge.Message, err), err: err}
	}
	return &cliError{msg: action + ": " + errText(err), err: err}
}

// explain adds what a command-line user can do to a gateway's message: it
// names the flags behind the identity metadata, and the ways around the
// max payload.
func explain(msg string, err error) string {
	for md, flag := range map[string]string{"x-natsgw-org": "--org", "x-natsgw-user": "--user"} {
		if rest, ok := strings.CutPrefix(msg, md+":"); ok {
			msg = flag + ":" + rest
		}
	}
	if errors.Is(err, natsgw.ErrResourceExhausted) && strings.Contains(msg, "max payload") {
		msg += " (the gateway's serve --max-payload; send larger data with `natsgw obj put`)"
	}
	return msg
}

// errText is err's text without the SDK's "natsgw: " prefixes (main adds
// one): the gateway's message for a failed call.
func errText(err error) string {
	if ge := (*natsgw.Error)(nil); errors.As(err, &ge) {
		return ge.Message
	}
	return strings.ReplaceAll(err.Error(), "natsgw: ", "")
}

// headerFlag collects repeated -H KEY:VALUE flags into a header; a key given
// several times keeps all its values, in order.
type headerFlag struct{ h natsgw.Header }

func (f *headerFlag) String() string {
	var parts []string
	for k, vs := range f.h {
		for _, v := range vs {
			parts = append(parts, k+":"+v)
		}
	}
	return strings.Join(parts, ",")
}

func (f *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("header %q: want KEY:VALUE", s)
	}
	if f.h == nil {
		f.h = natsgw.Header{}
	}
	f.h.Add(k, strings.TrimSpace(v))
	return nil
}

func (f *headerFlag) Type() string { return "key:value" }

func addHeaderFlag(cmd *cobra.Command, f *headerFlag, what string) {
	cmd.Flags().VarP(f, "header", "H", what+" header KEY:VALUE (repeatable; a key given twice keeps both values)")
}

// dataArg is args[i] when given, else all of stdin.
func (g *globals) dataArg(args []string, i int) ([]byte, error) {
	if i < len(args) {
		return []byte(args[i]), nil
	}
	if g.stdin == nil {
		return nil, nil
	}
	if f, ok := g.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(g.stderr, "Reading data from stdin until end of file (Ctrl-D)...")
		}
	}
	data, err := io.ReadAll(g.stdin)
	if err != nil {
		return nil, fmt.Errorf("read data from stdin: %w", err)
	}
	return data, nil
}

// jsonMsg is the --json form of a message, one object per line.
type jsonMsg struct {
	Subject string `json:"subject"`
	// Data is the payload when it is valid UTF-8 ...
	Data *string `json:"data,omitempty"`
	// ... and DataBase64 the payload otherwise (so binary stays exact).
	DataBase64 string              `json:"data_base64,omitempty"`
	Headers    map[string][]string `json:"headers"`
	Reply      string              `json:"reply,omitempty"`
}

// writeMsg writes m on one line: "SUBJECT DATA", or a JSON object. One Write
// per message, so lines never interleave.
func writeMsg(w io.Writer, m *natsgw.Msg, asJSON bool) error {
	var buf bytes.Buffer
	if asJSON {
		j := jsonMsg{Subject: m.Subject, Headers: map[string][]string(m.Header), Reply: m.Reply}
		if j.Headers == nil {
			j.Headers = map[string][]string{}
		}
		if utf8.Valid(m.Data) {
			s := string(m.Data)
			j.Data = &s
		} else {
			j.DataBase64 = base64.StdEncoding.EncodeToString(m.Data)
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(j); err != nil {
			return err
		}
	} else {
		buf.WriteString(m.Subject)
		buf.WriteByte(' ')
		writeOneLine(&buf, m.Data)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeLine writes data and a newline, unless data already ends with one.
func writeLine(buf *bytes.Buffer, data []byte) {
	buf.Write(data)
	if !bytes.HasSuffix(data, []byte("\n")) {
		buf.WriteByte('\n')
	}
}

// writeOneLine writes data (without one trailing newline) and a newline,
// keeping it on one line: data that is not printable UTF-8 on one line
// (a newline, tab or other control character, invalid UTF-8) is written
// as a double-quoted string with Go escapes ("a\nb", "\x1b[2J").
func writeOneLine(buf *bytes.Buffer, data []byte) {
	data = bytes.TrimSuffix(data, []byte("\n"))
	if printable(data) {
		buf.Write(data)
	} else {
		buf.WriteString(strconv.Quote(string(data)))
	}
	buf.WriteByte('\n')
}

func printable(data []byte) bool {
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 || !unicode.IsPrint(r) {
			return false
		}
		data = data[n:]
	}
	return true
}

// countFlag adds --count with the given meaning.
func countFlag(cmd *cobra.Command, n *int, what string) {
	cmd.Flags().IntVarP(n, "count", "c", 0, what)
}

// eventPrinter reports subscriptions and watches lost and restored on
// stderr.
func (g *globals) eventPrinter() natsgw.Option {
	return natsgw.WithEventHandler(func(e natsgw.Event) {
		switch e.Kind {
		case natsgw.SubscriptionLost:
			fmt.Fprintf(g.stderr, "%s: subscription to %q lost (%s); re-subscribing...\n", time.Now().Format(time.TimeOnly), e.Subject, errText(e.Err))
		case natsgw.SubscriptionRestored:
			fmt.Fprintf(g.stderr, "%s: subscription to %q restored\n", time.Now().Format(time.TimeOnly), e.Subject)
		case natsgw.KeyWatchLost:
			fmt.Fprintf(g.stderr, "%s: watch of %q in bucket %q lost (%s); re-opening...\n", time.Now().Format(time.TimeOnly), e.Subject, e.Bucket, errText(e.Err))
		case natsgw.KeyWatchRestored:
			fmt.Fprintf(g.stderr, "%s: watch of %q in bucket %q restored\n", time.Now().Format(time.TimeOnly), e.Subject, e.Bucket)
		}
	})
}
