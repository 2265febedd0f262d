package natsgw_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/natsgw/natsgw"
)

// The brief's object store flow: no bucket is created beforehand.
func ExampleObjectStore() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-obj"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	docs := c.ObjectStore("documents")
	doc := bytes.Repeat([]byte("Document content"), 1000)
	if _, err := docs.PutBytes(ctx, "reports/q4.pdf", doc,
		natsgw.WithObjectMetadata(map[string]string{"author": "ann"})); err != nil {
		log.Fatal(err)
	}
	for o, err := range docs.List(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d bytes\n", o.Name, o.Size)
	}
	data, info, err := docs.GetBytes(ctx, "reports/q4.pdf")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same bytes:", bytes.Equal(data, doc), "author:", info.Metadata["author"])

	if err := docs.Delete(ctx, "reports/q4.pdf"); err != nil {
		log.Fatal(err)
	}
	_, _, err = docs.GetBytes(ctx, "reports/q4.pdf")
	fmt.Println("deleted object not found:", errors.Is(err, natsgw.ErrNotFound))
	// Output:
	// reports/q4.pdf: 16000 bytes
	// same bytes: true author: ann
	// deleted object not found: true
}

// Streaming: Put reads from any io.Reader and Get returns an io.Reader, so
// objects of any size pass with little memory; WithRange reads a part.
func ExampleObjectStore_Get() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := natsgw.Dial(ctx, gatewayAddr, natsgw.WithOrg("example-obj-stream"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	logs := c.ObjectStore("logs")
	src := strings.NewReader(strings.Repeat("0123456789", 100000)) // 1 MB
	info, err := logs.Put(ctx, "app.log", src)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored", info.Size, "bytes in", info.Chunks, "chunks")

	r, err := logs.Get(ctx, "app.log", natsgw.WithRange(500000, 10))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	part, err := io.ReadAll(r) // io.EOF only once the range arrived whole
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", part)
	// Output:
	// stored 1000000 bytes in 8 chunks
	// 0123456789
}
