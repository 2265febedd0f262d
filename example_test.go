package natsgw_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/natsgw/natsgw"
)

// gatewayAddr is where the examples' gateway listens. TestMain (main_test.go)
// starts one on a free port; a program would use its gateway's address, for
// example natsgw.DefaultTarget ("localhost:50056").
var gatewayAddr string

func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("acme"), natsgw.WithUser("billing-service"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	h, err := c.Health(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("healthy:", h.Healthy, "embedded NATS:", h.Embedded, "JetStream:", h.JetStream)
	// Output: healthy: true embedded NATS: true JetStream: true
}

func ExampleClient_Publish() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-publish"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Subscribe returns once the subscription is active, so nothing
	// published after it is missed.
	sub, err := c.SubscribeSync(ctx, "events.order.*")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe(ctx)

	err = c.Publish(ctx, "events.order.created", []byte("Order #12345 created"),
		natsgw.WithHeader(natsgw.Header{"priority": {"high"}, "source": {"web-app"}}))
	if err != nil {
		log.Fatal(err)
	}

	m, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s priority=%s source=%s\n", m.Subject, m.Data, m.Header.Get("priority"), m.Header.Get("source"))
	// Output: events.order.created Order #12345 created priority=high source=web-app
}

func ExampleClient_Subscribe() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-subscribe"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The handler runs on the subscription's goroutine, one message at a
	// time, in order.
	got := make(chan *natsgw.Msg)
	sub, err := c.Subscribe(ctx, "events.user.*", func(m *natsgw.Msg) { got <- m })
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe(ctx)

	for _, subject := range []string{"events.user.login", "events.system.startup", "events.user.logout"} {
		if err := c.Publish(ctx, subject, []byte("user 42")); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		m := <-got
		fmt.Println(m.Subject, string(m.Data))
	}
	// Output:
	// events.user.login user 42
	// events.user.logout user 42
}

func ExampleSubscription_Next() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-next"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.SubscribeSync(ctx, "orders.>")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe(ctx)

	msgs := []*natsgw.Msg{
		{Subject: "orders.created", Data: []byte("New order")},
		{Subject: "orders.payment.completed", Data: []byte("Payment done")},
	}
	if _, err := c.PublishBatch(ctx, msgs); err != nil {
		log.Fatal(err)
	}
	for range len(msgs) {
		m, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Subject, string(m.Data))
	}
	// Output:
	// orders.created New order
	// orders.payment.completed Payment done
}

func ExampleClient_Handle() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-handle"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// A responder: each request is answered with Respond.
	responder, err := c.Handle(ctx, "api.users.get", func(m *natsgw.Msg) {
		id := strings.TrimPrefix(string(m.Data), "user_id=")
		_ = m.Respond(ctx, []byte(`{"id":"`+id+`","name":"Ada"}`))
	})
	if err != nil {
		log.Fatal(err)
	}
	defer responder.Unsubscribe(ctx)

	reply, err := c.Request(ctx, "api.users.get", []byte("user_id=123"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply.Data))

	// Nobody serves api.orders.get: the request fails at once.
	_, err = c.Request(ctx, "api.orders.get", nil)
	fmt.Println(err == nil, errors.Is(err, natsgw.ErrNoResponders))
	// Output:
	// {"id":"123","name":"Ada"}
	// false true
}

func ExampleClient_NewPublisher() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-publisher"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.SubscribeSync(ctx, "tasks.>")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Unsubscribe(ctx)

	// A Publisher pipelines messages over one stream; Publish only queues.
	p, err := c.NewPublisher(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 1000 {
		if err := p.Publish("tasks.resize", []byte(fmt.Sprint(i))); err != nil {
			log.Fatal(err)
		}
	}
	// Flush waits until every message published so far has reached NATS.
	if err := p.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("published:", p.Published())
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}

	var last *natsgw.Msg
	for range 1000 {
		if last, err = sub.Next(ctx); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("last received:", last.Subject, string(last.Data))
	// Output:
	// published: 1000
	// last received: tasks.resize 999
}
