package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// A get reads chunks with batched direct gets (getBatch chunks, about
// getBatchBytes, per request) from a fetcher goroutine that stays one batch
// ahead of the gRPC sender: memory per get is about two batches whatever
// the object's size, and a slow client slows the fetcher (no buffering
// beyond that).
//
// Range reads start at the right chunk. Chunks are messages on
// "$O.<bucket>.C.<nuid>", all of the object's chunk size but the last, so
// byte offset o lies in chunk o/chunkSize; the gateway finds that chunk's
// stream sequence by probing with single-message direct gets, each of which
// tells the probed chunk's index through the count of chunks after it
// (Nats-Num-Pending). Chunks of one upload are usually contiguous in the
// stream, so the first probe usually hits; otherwise a binary search over
// sequences finishes in O(log n) probes. The uniform layout is proven
// before it is relied on: every chunk is at most the chunk size (writers
// fill a chunk-size buffer), so size == (chunks-1)*chunkSize + len(last
// chunk) holds only when every chunk but the last is full. Objects that
// fail that test (written by a client that stored short chunks) are read
// from the start and the prefix is skipped in the gateway.

const (
	// getBatch and getBatchBytes bound one direct get batch.
	getBatch      = 16
	getBatchBytes = 2 << 20
	// maxProbes bounds the search for a range's first chunk.
	maxProbes = 128
)

// errChanged: the object's chunks went away while it was read (it was
// replaced or deleted).
var errChanged = errors.New("object changed during the read")

func (s *objectServer) GetObject(req *natsgwv1.GetObjectRequest, stream natsgwv1.ObjectStoreService_GetObjectServer) error {
	ctx := stream.Context()
	name := req.GetName()
	b, err := s.g.callerObject(ctx, req.GetBucket(), name)
	if err != nil {
		return err
	}
	cur, err := s.g.liveMeta(ctx, b, name)
	if err != nil {
		return err
	}
	info := cur.info
	if info.Opts != nil && info.Opts.Link != nil {
		return failedPrecondition("object %q is a link (made outside the gateway); the gateway does not follow links", name)
	}
	size := info.Size
	off, length := req.GetOffset(), req.GetLength()
	if off > size {
		return outOfRange("offset", "%d is beyond the end of the object (%d bytes)", off, size)
	}
	if length == 0 || length > size-off {
		length = size - off
	}
	if err := stream.Send(&natsgwv1.GetObjectResponse{Part: &natsgwv1.GetObjectResponse_Header{Header: &natsgwv1.GetObjectHeader{
		Info: objectInfo(b, info), Offset: off, Length: length,
	}}}); err != nil {
		return err
	}
	r := &objectRead{g: s.g, b: b, info: info, off: off, length: length, send: func(p []byte) error {
		return stream.Send(&natsgwv1.GetObjectResponse{Part: &natsgwv1.GetObjectResponse_Data{Data: p}})
	}}
	err = r.run(ctx)
	switch {
	case errors.Is(err, errChanged):
		return aborted("get object %q: it was replaced or deleted during the read; retry", name)
	case errors.Is(err, errDigest):
		s.g.log.ErrorContext(ctx, "object store: digest mismatch", "bucket", b.nats, "object", name, "nuid", info.NUID)
		return dataLoss("get object %q: the data does not match its SHA-256 digest", name)
	case errors.Is(err, errNoStream):
		return s.g.bucketMissing(ctx, b, fmt.Sprintf("get object %q", name), err)
	case err != nil:
		return s.g.natsError(ctx, fmt.Sprintf("get object %q", name), err)
	}
	return nil
}

// errDigest: a whole-object read did not match the stored digest.
var errDigest = errors.New("digest mismatch")

// objectRead sends bytes [off, off+length) of one object version.
type objectRead struct {
	g      *Gateway
	b      objBucket
	info   *jetstream.ObjectInfo
	off    uint64
	length uint64
	send   func([]byte) error
}

func (r *objectRead) run(ctx context.Context) error {
	full := r.off == 0 && r.length == r.info.Size
	if r.info.Size == 0 || r.info.Chunks == 0 {
		if r.info.Size != 0 {
			return errChanged
		}
		if !digestMatches(r.info, sha256.New().Sum(nil)) {
			return errDigest
		}
		return nil
	}
	if r.length == 0 {
		return nil
	}
	subj := r.b.chunkSubject(r.info.NUID)
	cs := uint64(0)
	if r.info.Opts != nil {
		cs = uint64(r.info.Opts.ChunkSize)
	}

	// Where to start: chunk k at stream sequence from, skipping skip bytes;
	// n chunks to read. A partial range needs the uniform layout proven to
	// start at its chunk and to read no chunk past its end.
	var k uint32
	from, skip, n := uint64(0), r.off, r.info.Chunks
	uniform := false
	if cs > 0 && !full {
		var last storedMsg
		var err error
		if uniform, last, err = r.uniform(ctx, subj, cs); err != nil {
			return err
		}
		if uniform {
			k = uint32(r.off / cs)
			n = uint32((r.off+r.length-1)/cs) - k + 1
			if k > 0 {
				if from, err = r.locate(ctx, subj, k, last); err != nil {
					return err
				}
			}
			skip = r.off - uint64(k)*cs
		} else {
			r.g.log.DebugContext(ctx, "object store: chunks not uniform; range read skips in the gateway", "bucket", r.b.nats, "nuid", r.info.NUID)
		}
	}

	// The fetcher stays a batch ahead of the sender.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan storedMsg, getBatch)
	var fetchErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(chunks)
		fetchErr = r.fetch(ctx, subj, from, n, chunks)
	})
	defer wg.Wait()
	defer cancel()

	var h hash.Hash
	if full {
		h = sha256.New()
	}
	want := r.length // bytes still to send
	idx := k
	for sm := range chunks {
		data := sm.data
		if uniform && idx+1 < r.info.Chunks && uint64(len(data)) != cs {
			// The uniform layout was proven: this is not the object we
			// located.
			return errChanged
		}
		idx++
		if h != nil {
			h.Write(data)
		}
		if skip >= uint64(len(data)) {
			skip -= uint64(len(data))
			continue
		}
		data = data[skip:]
		skip = 0
		if uint64(len(data)) > want {
			data = data[:want]
		}
		for len(data) > 0 {
			p := data[:min(len(data), maxGetPiece)]
			if err := r.send(p); err != nil {
				return err
			}
			data = data[len(p):]
			want -= uint64(len(p))
		}
		if want == 0 && !full {
			return nil // the deferred cancel stops the fetcher
		}
	}
	cancel()
	wg.Wait()
	if fetchErr != nil && !(want == 0 && errors.Is(fetchErr, context.Canceled)) {
		return fetchErr
	}
	if want != 0 || full && idx != r.info.Chunks {
		return errChanged
	}
	if h != nil && !digestMatches(r.info, h.Sum(nil)) {
		return errDigest
	}
	return nil
}

// fetch sends n chunks from sequence from on to out, in order.
func (r *objectRead) fetch(ctx context.Context, subj string, from uint64, n uint32, out chan<- storedMsg) error {
	db, err := r.g.newDirectBatch(r.b.stream, subj)
	if err != nil {
		return err
	}
	defer db.close()
	for n > 0 {
		var got uint32
		pending, err := db.fetch(ctx, from, int(min(n, getBatch)), getBatchBytes, func(sm storedMsg) error {
			select {
			case out <- sm:
			case <-ctx.Done():
				return ctx.Err()
			}
			got++
			from = sm.seq + 1
			return nil
		})
		if errors.Is(err, errNoMessage) {
			return errChanged
		}
		if err != nil {
			return err
		}
		n -= min(got, n)
		if n > 0 && (got == 0 || pending == 0) {
			return errChanged
		}
	}
	return nil
}

// uniform reports whether every chunk but the last has size cs, and returns
// the last chunk.
func (r *objectRead) uniform(ctx context.Context, subj string, cs uint64) (bool, storedMsg, error) {
	last, err := r.g.directGetOne(ctx, r.b.stream, directGetRequest{LastFor: subj})
	if errors.Is(err, errNoMessage) {
		return false, storedMsg{}, errChanged
	}
	if err != nil {
		return false, storedMsg{}, err
	}
	n := uint64(r.info.Chunks)
	ll := uint64(len(last.data))
	return ll > 0 && ll <= cs && (n-1)*cs+ll == r.info.Size, last, nil
}

// locate returns the stream sequence of chunk k (0-based) of the object,
// whose last chunk is last. Probing sequence s returns the first chunk at or
// after s and how many chunks follow it, hence its index.
func (r *objectRead) locate(ctx context.Context, subj string, k uint32, last storedMsg) (uint64, error) {
	n := r.info.Chunks
	if k == n-1 {
		return last.seq, nil
	}
	probe := func(s uint64) (idx uint32, seq uint64, err error) {
		sm, err := r.g.directGetOne(ctx, r.b.stream, directGetRequest{Seq: s, NextFor: subj, Batch: 1})
		if errors.Is(err, errNoMessage) {
			return 0, 0, errChanged
		}
		if err != nil {
			return 0, 0, err
		}
		if sm.pending >= uint64(n) {
			return 0, 0, errChanged
		}
		return n - 1 - uint32(sm.pending), sm.seq, nil
	}
	// Chunk i sits at a sequence in [1+i, last-(n-1-i)]; when the chunks
	// are contiguous it is at the upper bound, so probe that first.
	lo, hi := uint64(k)+1, last.seq-uint64(n-1-k)
	s := hi
	for range maxProbes {
		if lo > hi {
			return 0, errChanged
		}
		j, seq, err := probe(s)
		if err != nil {
			return 0, err
		}
		switch {
		case j == k:
			return seq, nil
		case j < k: // chunk k lies at least k-j sequences after chunk j
			lo = max(lo, seq+uint64(k-j))
		default: // chunk k lies before s
			hi = min(hi, s-1)
		}
		s = lo + (hi-lo)/2
	}
	return 0, errChanged
}
