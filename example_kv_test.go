package natsgw_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/natsgw/natsgw"
)

// The brief's key-value flow: no bucket is created beforehand.
func ExampleKeyValue() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-kv"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	kv := c.KeyValue("app-config")
	for key, value := range map[string]string{"database.host": "localhost", "database.port": "5432", "cache.ttl": "300"} {
		if _, err := kv.Put(ctx, key, []byte(value)); err != nil {
			log.Fatal(err)
		}
	}
	e, err := kv.Get(ctx, "database.host")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s = %s\n", e.Key, e.Value)

	keys, err := kv.Keys(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("keys:", keys)

	if err := kv.Delete(ctx, "cache.ttl"); err != nil {
		log.Fatal(err)
	}
	_, err = kv.Get(ctx, "cache.ttl")
	fmt.Println("deleted key not found:", errors.Is(err, natsgw.ErrNotFound))
	// Output:
	// database.host = localhost
	// keys: [cache.ttl database.host database.port]
	// deleted key not found: true
}

// Compare-and-swap: Update succeeds only at the key's latest revision.
func ExampleKeyValue_Update() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-kv-cas"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	kv := c.KeyValue("counters")
	rev, err := kv.Create(ctx, "visits", []byte("1"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = kv.Create(ctx, "visits", []byte("1"))
	fmt.Println("second create:", errors.Is(err, natsgw.ErrAlreadyExists))

	next, err := kv.Update(ctx, "visits", []byte("2"), rev)
	if err != nil {
		log.Fatal(err)
	}
	_, err = kv.Update(ctx, "visits", []byte("2"), rev) // rev is stale now
	fmt.Println("stale update:", errors.Is(err, natsgw.ErrFailedPrecondition))
	fmt.Println("revisions:", rev, next)
	// Output:
	// second create: true
	// stale update: true
	// revisions: 1 2
}

// Watch sends the current values, a nil marker, then every change.
func ExampleKeyValue_Watch() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-kv-watch"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	kv := c.KeyValue("flags")
	if _, err := kv.Put(ctx, "feature.search", []byte("on")); err != nil {
		log.Fatal(err)
	}
	w, err := kv.Watch(ctx, "feature.*")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop(ctx)
	for e := range w.Updates() {
		if e == nil { // the current values are all delivered
			fmt.Println("-- now watching changes")
			if err := kv.Delete(ctx, "feature.search"); err != nil {
				log.Fatal(err)
			}
			continue
		}
		fmt.Println(e.Revision, e.Operation, e.Key, string(e.Value))
		if e.Operation == natsgw.KeyValueDelete {
			break
		}
	}
	// Output:
	// 1 PUT feature.search on
	// -- now watching changes
	// 2 DELETE feature.search
}

// Redis-style operations: several keys in one call, counters, and a time to
// live set after the fact.
func ExampleKeyValue_GetMany() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-kv-many"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	kv := c.KeyValue("sessions")
	if _, err := kv.PutMany(ctx, []natsgw.KVPutItem{
		{Key: "alice", Value: []byte("s1")},
		{Key: "bob", Value: []byte("s2"), TTL: time.Hour},
	}); err != nil {
		log.Fatal(err)
	}
	res, err := kv.GetMany(ctx, []string{"alice", "carol", "bob"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		if errors.Is(r.Err, natsgw.ErrNotFound) {
			fmt.Println(r.Key, "(none)")
			continue
		}
		fmt.Printf("%s %s\n", r.Key, r.Entry.Value)
	}
	if _, err := kv.Expire(ctx, "alice", 30*time.Minute); err != nil {
		log.Fatal(err)
	}

	views := c.KeyValue("counters") // a counter bucket, made by the first Increment
	for range 3 {
		if _, err := views.Increment(ctx, "home", 1); err != nil {
			log.Fatal(err)
		}
	}
	n, err := views.Increment(ctx, "home", 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("home views:", n)
	// Output:
	// alice s1
	// carol (none)
	// bob s2
	// home views: 3
}
