package natsgw_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/natsgw/natsgw"
)

// The brief's task queue: a stream of tasks, a worker consumer, pull and
// acknowledge by sequence.
func ExampleClient_Pull() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-tasks"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.CreateStream(ctx, natsgw.StreamConfig{
		Name: "TASKS", Subjects: []string{"tasks.>"},
		MaxMsgs: 100000, MaxBytes: 100 << 20, Retention: natsgw.WorkQueueRetention,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, task := range []string{`{"task_type":"send_email"}`, `{"task_type":"process_image"}`} {
		ack, err := c.PublishToStream(ctx, "TASKS", "tasks.processing", []byte(task))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("enqueued, sequence", ack.Sequence)
	}

	_, err = c.CreateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{
		Name: "worker-1", FilterSubjects: []string{"tasks.>"}, AckWait: 30 * time.Second, MaxDeliver: 5, DeadLetter: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	msgs, err := c.Pull(ctx, "TASKS", "worker-1", 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Printf("processing %s (sequence %d, delivery %d)\n", m.Data, m.Sequence, m.Deliveries)
		if err := c.AckSeq(ctx, "TASKS", "worker-1", m.Sequence); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// enqueued, sequence 1
	// enqueued, sequence 2
	// processing {"task_type":"send_email"} (sequence 1, delivery 1)
	// processing {"task_type":"process_image"} (sequence 2, delivery 1)
}

// A worker that is kept fed: Consume delivers messages as they arrive, at
// most WithMaxInFlight unfinished at once, to a handler running on
// WithHandlers goroutines.
func ExampleClient_Consume() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-consume"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateStream(ctx, natsgw.StreamConfig{Name: "JOBS", Subjects: []string{"jobs.>"}}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateConsumer(ctx, "JOBS", natsgw.ConsumerConfig{Name: "workers"}); err != nil {
		log.Fatal(err)
	}

	done := make(chan string)
	cc, err := c.Consume(ctx, "JOBS", "workers", func(m *natsgw.StreamMsg) {
		if err := m.Ack(ctx); err != nil {
			log.Print(err)
		}
		done <- string(m.Data)
	}, natsgw.WithMaxInFlight(64), natsgw.WithHandlers(1))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Stop(ctx)

	if _, err := c.PublishToStream(ctx, "JOBS", "jobs.resize", []byte("img_123")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("handled", <-done)
	// Output: handled img_123
}
