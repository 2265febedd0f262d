package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// A put streams the client's frames straight into chunk publishes: the
// handler pulls frames only as fast as NATS stores chunks (at most
// putWindow chunks unacknowledged), so a put holds about putWindow chunks
// plus one frame in memory whatever the object's size. Chunks go to a fresh
// nuid, invisible to readers until the info message that names them is
// stored, which happens only after every chunk is acknowledged and the
// expected size and digest are checked. Any failure before that purges the
// new chunks; a successful replace purges the replaced version's.
//
// Why not nats.go's ObjectStore.Put: it reads the previous info when the
// upload starts and overwrites the info unconditionally at the end, so of
// two concurrent puts of one name the loser's chunks are never purged; its
// cleanup purge runs with the caller's context, so a canceled upload leaves
// its chunks behind; and it commits as soon as its reader reports EOF (a
// digest check would have to fail the read instead). The format is the
// same, so both read each other's objects.

// putWindow is how many chunks may await their acknowledgment.
const putWindow = 16

func (s *objectServer) PutObject(stream natsgwv1.ObjectStoreService_PutObjectServer) error {
	ctx := stream.Context()
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return invalidArgumentf("header", "is required: the stream ended before its first frame")
	}
	if err != nil {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return invalidArgumentf("header", "must be the first frame (got data)")
	}
	b, err := s.g.bucket(id.Org, "header.bucket", hdr.GetBucket())
	if err != nil {
		return err
	}
	name := hdr.GetName()
	if err := validateObjectName("header.name", name); err != nil {
		return err
	}
	if err := validateDescription("header.description", hdr.GetDescription()); err != nil {
		return err
	}
	if err := validateMetadata("header.metadata", hdr.GetMetadata()); err != nil {
		return err
	}
	if d := hdr.GetExpectedSha256(); d != nil && len(d) != sha256.Size {
		return invalidArgumentf("header.expected_sha256", "must be %d bytes (got %d)", sha256.Size, len(d))
	}
	st, err := s.g.bucketForWrite(ctx, b)
	if err != nil {
		return err
	}
	src := &putSource{stream: stream, expectSize: hdr.ExpectedSize}
	meta := jetstream.ObjectMeta{
		Name:        name,
		Description: hdr.GetDescription(),
		Metadata:    hdr.GetMetadata(),
		Opts:        &jetstream.ObjectMetaOptions{ChunkSize: objChunkSize},
	}
	info, err := s.upload(ctx, st, b, meta, src, hdr.GetExpectedSha256())
	if err != nil {
		return err
	}
	return stream.SendAndClose(&natsgwv1.PutObjectResponse{Info: objectInfo(b, info)})
}

// putSource cuts the data frames of a PutObject stream into chunks of
// exactly objChunkSize bytes (the last may be shorter), so every chunk but
// the last is full (range reads rely on it). A chunk that lies within one
// frame is a slice of it, not a copy (frames are not reused once received).
type putSource struct {
	stream     natsgwv1.ObjectStoreService_PutObjectServer
	expectSize *uint64
	cur        []byte
	received   uint64
	eof        bool
}

// nextChunk returns the next chunk, or io.EOF after the last.
func (s *putSource) nextChunk() ([]byte, error) {
	for len(s.cur) == 0 && !s.eof {
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	if len(s.cur) >= objChunkSize || s.eof {
		if len(s.cur) == 0 {
			return nil, io.EOF
		}
		n := min(len(s.cur), objChunkSize)
		c := s.cur[:n:n]
		s.cur = s.cur[n:]
		return c, nil
	}
	buf := make([]byte, 0, objChunkSize)
	for len(buf) < objChunkSize {
		if len(s.cur) == 0 {
			if s.eof {
				break
			}
			if err := s.next(); err != nil {
				return nil, err
			}
			continue
		}
		n := min(len(s.cur), objChunkSize-len(buf))
		buf = append(buf, s.cur[:n]...)
		s.cur = s.cur[n:]
	}
	return buf, nil
}

// next receives the next data frame.
func (s *putSource) next() error {
	req, err := s.stream.Recv()
	if errors.Is(err, io.EOF) {
		s.eof = true
		if s.expectSize != nil && s.received != *s.expectSize {
			return failedPrecondition("header.expected_size: the data is %d bytes, expected %d; nothing was stored", s.received, *s.expectSize)
		}
		return nil
	}
	if err != nil {
		return err // the client canceled or the connection broke
	}
	if req.GetHeader() != nil {
		return invalidArgumentf("header", "only the first frame may be a header")
	}
	data := req.GetData()
	if len(data) > maxPutPiece {
		return invalidArgumentf("data", "a frame carries at most %d bytes (got %d)", maxPutPiece, len(data))
	}
	s.received += uint64(len(data))
	if s.expectSize != nil && s.received > *s.expectSize {
		return failedPrecondition("header.expected_size: more than the expected %d bytes arrived; nothing was stored", *s.expectSize)
	}
	s.cur = data
	return nil
}

// upload stores src as a new version of meta.Name in b and makes it the
// current one. On any error nothing of the new version remains.
func (s *objectServer) upload(ctx context.Context, st jetstream.Stream, b objBucket, meta jetstream.ObjectMeta, src *putSource, expectSum []byte) (info *jetstream.ObjectInfo, err error) {
	g := s.g
	id := nuid.Next()
	subj := b.chunkSubject(id)
	var (
		pending []jetstream.PubAckFuture
		size    uint64
		chunks  uint32
		h       hash.Hash = sha256.New()
	)
	defer func() {
		if err != nil {
			// Wait for every chunk in flight to be stored or refused, so
			// the purge removes them all.
			for _, f := range pending {
				_ = waitAck(f)
			}
			g.purgeChunks(ctx, st, b, id)
		}
	}()
	for {
		// A pending publish keeps its message (nats.go may resend it), so
		// chunk buffers are never reused.
		data, rerr := src.nextChunk()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, rerr // already a status (client gone, bad frame, size mismatch)
		}
		if len(pending) == putWindow {
			f := pending[0]
			pending = pending[1:] // an ack is delivered once: never wait twice
			if err := waitAck(f); err != nil {
				return nil, s.chunkError(ctx, st, b, meta.Name, err)
			}
		}
		h.Write(data)
		f, err := s.js.PublishMsgAsync(&nats.Msg{Subject: subj, Data: data})
		if err != nil {
			return nil, s.chunkError(ctx, st, b, meta.Name, err)
		}
		pending = append(pending, f)
		size += uint64(len(data))
		chunks++
	}
	for len(pending) > 0 {
		f := pending[0]
		pending = pending[1:]
		if err := waitAck(f); err != nil {
			return nil, s.chunkError(ctx, st, b, meta.Name, err)
		}
	}
	sum := h.Sum(nil)
	info = &jetstream.ObjectInfo{
		ObjectMeta: meta,
		Bucket:     b.nats,
		NUID:       id,
		Size:       size,
		Chunks:     chunks,
		Digest:     jetstream.GetObjectDigestValue(h),
	}
	if expectSum != nil && !digestMatches(info, expectSum) {
		return nil, failedPrecondition("header.expected_sha256: the data's SHA-256 is %x, expected %x; nothing was stored", sum, expectSum)
	}
	// Commit: runs to its end even if the client goes away now, so that
	// the outcome (stored or not) is never ambiguous to cleanup.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	replaced, seq, err := s.commit(cctx, b, info)
	if err != nil {
		return nil, err
	}
	if replaced != nil && !replaced.Deleted && replaced.NUID != id {
		g.purgeChunks(ctx, st, b, replaced.NUID)
	}
	g.stampModTime(cctx, b, info, seq)
	return info, nil
}

// commit makes info the current version of its name, whatever is there
// now, and returns the version it replaced (nil if none).
func (s *objectServer) commit(ctx context.Context, b objBucket, info *jetstream.ObjectInfo) (*jetstream.ObjectInfo, uint64, error) {
	g := s.g
	for range casAttempts {
		cur, err := g.loadMeta(ctx, b, info.Name)
		if err != nil {
			return nil, 0, err
		}
		seq, err := g.publishMeta(ctx, b, info, cur.seq)
		if isWrongLastSeq(err) {
			continue // another writer got in between: replace its version instead
		}
		if err != nil {
			// An error without a verdict (a lost acknowledgment) may hide a
			// stored info: purging the chunks then would break the object.
			if now, lerr := g.loadMeta(ctx, b, info.Name); lerr == nil && now.info != nil && now.info.NUID == info.NUID {
				return cur.info, now.seq, nil
			}
			return nil, 0, g.natsError(ctx, fmt.Sprintf("put object %q", info.Name), err)
		}
		return cur.info, seq, nil
	}
	return nil, 0, aborted("put object %q: other writers kept replacing it; retry", info.Name)
}

// waitAck waits for a chunk's acknowledgment (bounded by chunkAckTimeout
// through the publisher's settings).
func waitAck(f jetstream.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	}
}

// chunkError explains why NATS refused a chunk.
func (s *objectServer) chunkError(ctx context.Context, st jetstream.Stream, b objBucket, name string, err error) error {
	if isMaxBytes(err) {
		limit := st.CachedInfo().Config.MaxBytes
		if si, ierr := st.Info(ctx); ierr == nil {
			limit = si.Config.MaxBytes
		}
		return resourceExhausted("put object %q: bucket %q is full: its max_bytes limit is %d bytes; nothing was stored", name, b.name, limit)
	}
	return s.g.natsError(ctx, fmt.Sprintf("put object %q", name), err)
}
