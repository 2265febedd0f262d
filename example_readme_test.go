package natsgw_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// Example_readme runs the README's Go snippet: the body of readme, which
// TestREADMEGoSnippet keeps identical to the README's "From Go" block (where
// the gateway's address is spelled "localhost:50056").
func Example_readme() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := readme(ctx, gatewayAddr); err != nil {
		log.Fatal(err)
	}
	// Output:
	// events.user.login hi web
	// hello
	// task stored as 1
	// task 1 {"task_type":"send_email"}
	// 1 1 localhost
	// reports/q4.txt 6
	// Q4: up
	// streams: 2, messages: 0
}

func readme(ctx context.Context, gatewayAddr string) error {
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("acme"))
	if err != nil {
		return err
	}
	defer c.Close()

	// Pub/sub (c.Subscribe calls a handler per message instead).
	sub, err := c.SubscribeSync(ctx, "events.user.*")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe(ctx)
	err = c.Publish(ctx, "events.user.login", []byte("hi"),
		natsgw.WithHeader(natsgw.Header{"source": {"web"}}))
	if err != nil {
		return err
	}
	m, err := sub.Next(ctx)
	if err != nil {
		return err
	}
	fmt.Println(m.Subject, string(m.Data), m.Header.Get("source")) // events.user.login hi web

	// Request-reply.
	_, err = c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	if err != nil {
		return err
	}
	reply, err := c.Request(ctx, "api.echo", []byte("hello"))
	if err != nil {
		return err
	}
	fmt.Println(string(reply.Data)) // hello

	// A task queue: stream, worker consumer, pull, acknowledge.
	_, err = c.CreateStream(ctx, natsgw.StreamConfig{Name: "TASKS", Subjects: []string{"tasks.>"},
		Retention: natsgw.WorkQueueRetention})
	if err != nil {
		return err
	}
	ack, err := c.PublishToStream(ctx, "TASKS", "tasks.processing", []byte(`{"task_type":"send_email"}`),
		natsgw.WithMsgID("task-1")) // publishing the same id again stores nothing
	if err != nil {
		return err
	}
	fmt.Println("task stored as", ack.Sequence)
	_, err = c.CreateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{Name: "worker-1",
		AckWait: 30 * time.Second, MaxDeliver: 5, DeadLetter: true})
	if err != nil {
		return err
	}
	tasks, err := c.Pull(ctx, "TASKS", "worker-1", 10) // returns as soon as tasks are there
	if err != nil {
		return err
	}
	for _, t := range tasks {
		fmt.Println("task", t.Sequence, string(t.Data))
		// Or t.Nak, t.NakWithDelay, t.Term; c.AckSeq acks by sequence.
		if err := t.Ack(ctx); err != nil {
			return err
		}
	}
	// Or keep a worker fed, acks riding on the same stream:
	cc, err := c.Consume(ctx, "TASKS", "worker-1", func(t *natsgw.StreamMsg) { _ = t.Ack(ctx) },
		natsgw.WithHandlers(8), natsgw.WithMaxInFlight(64))
	if err != nil {
		return err
	}
	defer cc.Stop(ctx)

	// Key-value.
	kv := c.KeyValue("app-config") // created by its first write
	rev, err := kv.Put(ctx, "database.host", []byte("localhost"))
	if err != nil {
		return err
	}
	e, err := kv.Get(ctx, "database.host")
	if err != nil {
		return err
	}
	fmt.Println(rev, e.Revision, string(e.Value))

	// Objects of any size, from any io.Reader, streamed both ways.
	docs := c.ObjectStore("documents") // created by its first put
	info, err := docs.Put(ctx, "reports/q4.txt", strings.NewReader("Q4: up"),
		natsgw.WithObjectMetadata(map[string]string{"author": "ann"}))
	if err != nil {
		return err
	}
	fmt.Println(info.Name, info.Size)
	r, err := docs.Get(ctx, "reports/q4.txt") // r.Info() has size, SHA-256, metadata
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := io.Copy(os.Stdout, r); err != nil { // io.EOF only after the digest checked out
		return err
	}
	fmt.Println()

	st, err := c.Statistics(ctx) // also consumers, buckets, traffic in and out
	if err != nil {
		return err
	}
	fmt.Printf("streams: %d, messages: %d\n", st.Streams, st.Msgs) // TASKS and its dead letters
	return nil
}

// TestREADMEGoSnippet: the README's Go block is readme's body, so it
// compiles and runs (Example_readme) and cannot drift from the API.
func TestREADMEGoSnippet(t *testing.T) {
	t.Parallel()
	body := funcBody(t, "example_readme_test.go", "func readme(")
	body = strings.ReplaceAll(body, "natsgw.Dial(ctx, gatewayAddr,", `natsgw.Dial(ctx, "localhost:50056",`)
	block := readmeBlock(t, "runs exactly this code against a gateway):")
	testutil.Equal(t, block, body, "the README's Go block (want: readme's body in example_readme_test.go)")
}

// funcBody returns the body of the function whose declaration starts with
// decl in file, without its final "return nil", dedented by one tab.
func funcBody(t *testing.T, file, decl string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	testutil.NoErr(t, err, "read "+file)
	var out []string
	in := false
	for line := range strings.Lines(string(src)) {
		switch {
		case strings.HasPrefix(line, decl):
			in = true
		case in && line == "}\n":
			if n := len(out); n > 0 && out[n-1] == "return nil\n" {
				out = out[:n-1]
			}
			return strings.Join(out, "")
		case in:
			out = append(out, strings.TrimPrefix(line, "\t"))
		}
	}
	t.Fatalf("%s: no function %q", file, decl)
	return ""
}

// readmeBlock returns the first ```go block after the line after in
// README.md.
func readmeBlock(t *testing.T, after string) string {
	t.Helper()
	f, err := os.Open("README.md")
	testutil.NoErr(t, err, "open README.md")
	defer f.Close()
	var out []string
	state := 0 // 0: before after, 1: before the block, 2: in it
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && line == after:
			state = 1
		case state == 1 && line == "```go":
			state = 2
		case state == 2 && line == "```":
			return strings.Join(out, "")
		case state == 2:
			out = append(out, line+"\n")
		}
	}
	t.Fatalf("README.md: no ```go block after %q", after)
	return ""
}
