// Package natsgw is the Go SDK for natsgw, a multi-tenant gRPC gateway for
// NATS: pub/sub with wildcards, headers and queue groups, request-reply,
// JetStream streams and work queues, key-value and object stores, scoped to
// the caller's organization.
//
// # Conventions
//
// The API says each thing one way; new code follows these rules.
//
//   - Options are opaque: each option type is a func over an unexported
//     struct (type PullOption func(*pullOptions)), built by a WithX
//     function (UpdateMeta's options, which say what to change, are named
//     for the change: RenameObject, SetObjectMetadata). No generated
//     protobuf type appears in the public API. Every option's doc comment
//     states its default.
//   - Creating a named thing takes a config struct that carries the name:
//     CreateStream(ctx, StreamConfig{Name: ...}),
//     CreateConsumer(ctx, stream, ConsumerConfig{Name: ...}),
//     CreateKeyValue(ctx, KeyValueConfig{Bucket: ...}),
//     CreateObjectStore(ctx, ObjectStoreConfig{Bucket: ...}); Update* take
//     the same struct. Optional behaviour of a single call takes options.
//   - Listings on the Client are plural nouns: Streams, Consumers,
//     KeyValues, ObjectStores, TaskQueues. Inside a bucket, listings follow nats.go:
//     KeyValue.Keys (a slice), KeyValue.ListKeys and ObjectStore.List
//     (iterators).
//   - Handles per named thing do no I/O: c.KeyValue("b"), c.ObjectStore("b"),
//     c.Tasks("q").
//   - "Msg", never "Message", in identifiers: Msg, StreamMsg, StoredMsg,
//     PublishMsg, AckMsgs, AckSeq, GetStreamMsg, GetLastStreamMsg,
//     DeleteStreamMsg, Subscription.Msgs, Statistics.Msgs. Reads of one
//     stored message by key are Get* (like KeyValue.Get and ObjectStore.Get).
//   - Anything long-lived that delivers to the caller stops with
//     Stop(ctx) error (ConsumeContext, KeyWatcher, TaskWorker); a subscription ends
//     with Unsubscribe(ctx) error as in NATS; a publisher, which holds
//     unsent messages, flushes and ends with Close(ctx) error. Each returns
//     by ctx's deadline (with ctx's error if the work was not finished); the
//     background work still ends promptly. Every goroutine the SDK starts is
//     tracked by the Client and has ended when Client.Close returns.
//
// # Usage
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
// sequence with AckSeq). Unacknowledged messages come back after the
// consumer's AckWait; with DeadLetter, messages that exhaust MaxDeliver or
// are terminated are copied to the stream "_dlq_<stream>". A Consume
// re-establishes itself when the gateway restarts; consumer state lives in
// NATS.
//
// Task queues (c.Tasks("emails")) are the gateway's TaskService: Enqueue
// (with WithDelay, WithETA, WithPriority, WithMaxRetries, WithBackoff,
// WithUniqueID, ...), Work runs handlers whose return decides each task's
// outcome (RetryAfter, Fail), Result waits for one, Schedule adds periodic
// tasks, and Stats, List, Task, Retry, Cancel, Purge inspect and repair. A
// TaskWorker stops with Stop(ctx), which lets running handlers finish.
//
// The package imports only gRPC and the generated API; it never pulls a NATS
// server into a program.
package natsgw
