package console

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// chunkSize is the piece of an upload sent per PutObject frame (the API's
// maximum).
const chunkSize = 1 << 20

// download: GET /api/objects/{bucket}/data?name=<object>, the object's bytes
// streamed from GetObject as they arrive (never whole in memory), with its
// SHA-256 in a header. The gateway verifies the digest at the end; a
// mismatch cuts the response short, so the browser sees a failed download
// instead of wrong bytes.
func (c *Console) download(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := natsgwv1.NewObjectStoreServiceClient(c.cfg.Conn)
	stream, err := client.GetObject(ctx, &natsgwv1.GetObjectRequest{Bucket: r.PathValue("bucket"), Name: r.URL.Query().Get("name")})
	if err != nil {
		writeError(w, err)
		return
	}
	first, err := stream.Recv()
	if err != nil {
		writeError(w, err)
		return
	}
	info := first.GetHeader().GetInfo()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatUint(info.GetSize(), 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(info.GetName())}))
	h.Set("X-Object-Sha256", hex.EncodeToString(info.GetSha256()))
	w.WriteHeader(http.StatusOK)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// Headers are gone: abort the response so the browser does not
			// keep a truncated file as complete.
			c.log.Warn("console download failed", "bucket", r.PathValue("bucket"), "err", err)
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(msg.GetData()); err != nil {
			return
		}
	}
}

// upload: PUT /api/objects/{bucket}/data?name=<object>[&description=...]
// [&meta=k=v ...], the body streamed to PutObject in 1 MiB pieces.
func (c *Console) upload(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := r.URL.Query()
	hdr := &natsgwv1.PutObjectHeader{
		Bucket:      r.PathValue("bucket"),
		Name:        q.Get("name"),
		Description: q.Get("description"),
	}
	for _, kv := range q["meta"] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			writeError(w, invalidField("meta", "each entry must be key=value"))
			return
		}
		if hdr.Metadata == nil {
			hdr.Metadata = map[string]string{}
		}
		hdr.Metadata[k] = v
	}
	if r.ContentLength >= 0 {
		n := uint64(r.ContentLength)
		hdr.ExpectedSize = &n
	}
	client := natsgwv1.NewObjectStoreServiceClient(c.cfg.Conn)
	stream, err := client.PutObject(ctx)
	if err != nil {
		writeError(w, err)
		return
	}
	send := func(m *natsgwv1.PutObjectRequest) error {
		if err := stream.Send(m); err != nil {
			// The gateway ended the call; its status comes from CloseAndRecv.
			_, rerr := stream.CloseAndRecv()
			if rerr == nil {
				rerr = err
			}
			return rerr
		}
		return nil
	}
	if err := send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Header{Header: hdr}}); err != nil {
		writeError(w, err)
		return
	}
	buf := make([]byte, chunkSize)
	for {
		n, rerr := io.ReadFull(r.Body, buf)
		if n > 0 {
			if err := send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Data{Data: buf[:n]}}); err != nil {
				writeError(w, err)
				return
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			cancel()
			writeError(w, status.Error(codes.Canceled, "upload: the browser stopped sending"))
			return
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		writeError(w, err)
		return
	}
	writeProto(w, resp)
}
