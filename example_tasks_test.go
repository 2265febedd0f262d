package natsgw_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/natsgw/natsgw"
)

// The brief's TaskQueue on the task service: enqueue with a priority, a
// worker whose handlers' returns decide each outcome, the result.
func ExampleTaskQueue() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-tasks"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	tasks := c.Tasks("TASKS")
	id, err := tasks.Enqueue(ctx, "send_email", []byte(`{"to": "user@example.com"}`),
		natsgw.WithPriority(natsgw.TaskPriorityHigh), natsgw.WithMaxRetries(3))
	if err != nil {
		log.Fatal(err)
	}
	w, err := tasks.Work(ctx, map[string]natsgw.TaskHandler{
		"send_email": func(ctx context.Context, t *natsgw.Task) ([]byte, error) {
			if t.Retries == 0 {
				return nil, natsgw.RetryAfter(10 * time.Millisecond) // a passing failure
			}
			return []byte("sent to " + string(t.Payload)), nil
		},
	}, 8)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop(ctx)

	done, err := tasks.Result(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(done.State, done.Retries, string(done.Result))
	// Output: succeeded 1 sent to {"to": "user@example.com"}
}
