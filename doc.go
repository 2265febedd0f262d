// Package natsgw is the Go SDK for natsgw, a multi-tenant gRPC gateway for
// NATS: pub/sub with wildcards, headers and queue groups, request-reply,
// JetStream streams and work queues, key-value and object stores, scoped to
// the caller's organization.
//
//	c, err := natsgw.Dial(ctx, "localhost:50056", natsgw.WithOrg("acme"))
//	if err != nil { ... }
//	defer c.Close()
//	sub, err := c.Subscribe(ctx, "events.user.*", func(m *natsgw.Msg) {
//		fmt.Println(m.Subject, string(m.Data))
//	})
//	err = c.Publish(ctx, "events.user.login", []byte("hi"))
//
// Subjects are the caller's view: the gateway maps them into the
// organization's namespace, so "events.user.login" in org "acme" never meets
// the same subject in another org.
//
// Errors are gRPC statuses underneath; compare them with errors.Is against
// the sentinels in this package (ErrNotFound, ErrNoResponders, ...).
//
// A Client is safe for concurrent use. Subscriptions and responders
// re-establish themselves when the gateway restarts (messages published while
// they were away are lost, as in core NATS) and report it to the logger and
// the event handler given to Dial.
//
// Streams (CreateStream, PublishToStream, NewStreamPublisher) keep messages;
// consumers (CreateConsumer) read them with real acknowledgements: Pull
// returns up to a batch, Consume keeps a handler fed, and each StreamMsg is
// acknowledged with Ack, Nak, NakWithDelay, Term or InProgress (or by
// sequence with AckMessage). Unacknowledged messages come back after the
// consumer's AckWait; with DeadLetter, messages that exhaust MaxDeliver or
// are terminated are copied to the stream "_dlq_<stream>". A Consume
// re-establishes itself when the gateway restarts; consumer state lives in
// NATS.
//
// The package imports only gRPC and the generated API; it never pulls a NATS
// server into a program.
package natsgw
