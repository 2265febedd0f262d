package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The gateway's message types, registered for protojson.
	_ "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Limits of the JSON API.
const (
	maxBody       = 16 << 20 // a request body: an 8 MiB message in base64 and JSON
	maxListItems  = 10000    // messages collected from a finite server stream
	streamBuffer  = 256      // live events queued for one browser
	maxLiveStream = time.Hour
)

var (
	unmarshalJSON = protojson.UnmarshalOptions{DiscardUnknown: false}
	marshalJSON   = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
)

// methodOf resolves an allowlisted method of the given kind.
func methodOf(full string, kind methodKind) (protoreflect.MethodDescriptor, error) {
	if allowed[full] != kind {
		return nil, status.Errorf(codes.NotFound, "%s: not available in the console", strings.TrimPrefix(full, "/"))
	}
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(full, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "%s: no such method in this gateway", strings.TrimPrefix(full, "/"))
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s: %w", full, errNotAllowed)
	}
	return md, nil
}

func newMessage(d protoreflect.MessageDescriptor) (proto.Message, error) {
	t, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		return nil, err
	}
	return t.New().Interface(), nil
}

// decodeRequest reads the method's request from JSON (a POST body, or the
// "q" query parameter of a GET; empty means the zero request).
func decodeRequest(md protoreflect.MethodDescriptor, data []byte) (proto.Message, error) {
	req, err := newMessage(md.Input())
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return req, nil
	}
	if err := unmarshalJSON.Unmarshal(data, req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "request: not a valid %s in JSON: %v", md.Input().Name(), err)
	}
	return req, nil
}

// unary: POST /api/rpc/{service}/{method}, the request as JSON in the body,
// the response as JSON.
func (c *Console) unary(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	full := splitMethod(r)
	md, err := methodOf(full, unaryMethod)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, status.Errorf(codes.ResourceExhausted, "body: larger than %d bytes", maxBody))
		return
	}
	req, err := decodeRequest(md, body)
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := newMessage(md.Output())
	if err != nil {
		writeError(w, err)
		return
	}
	if err := c.cfg.Conn.Invoke(ctx, full, req, resp); err != nil {
		writeError(w, err)
		return
	}
	writeProto(w, resp)
}

// openStream starts a server-streaming call with the request from the "q"
// query parameter.
func (c *Console) openStream(ctx context.Context, r *http.Request, kind methodKind) (protoreflect.MethodDescriptor, grpc.ClientStream, error) {
	full := splitMethod(r)
	md, err := methodOf(full, kind)
	if err != nil {
		return nil, nil, err
	}
	req, err := decodeRequest(md, []byte(r.URL.Query().Get("q")))
	if err != nil {
		return nil, nil, err
	}
	cs, err := c.cfg.Conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, full)
	if err != nil {
		return nil, nil, err
	}
	if err := cs.SendMsg(req); err != nil {
		return nil, nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, nil, err
	}
	return md, cs, nil
}

// list: GET /api/list/{service}/{method}?q=<request JSON>, a finite server
// stream (KV keys, KV history) collected into {"items": [...]}, at most
// maxListItems responses ("truncated": true beyond).
func (c *Console) list(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	md, cs, err := c.openStream(ctx, r, listMethod)
	if err != nil {
		writeError(w, err)
		return
	}
	items := make([]json.RawMessage, 0, 16)
	truncated := false
	for {
		resp, err := newMessage(md.Output())
		if err != nil {
			writeError(w, err)
			return
		}
		if err := cs.RecvMsg(resp); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			writeError(w, err)
			return
		}
		if len(items) == maxListItems {
			truncated = true
			break
		}
		b, err := marshalJSON.Marshal(resp)
		if err != nil {
			writeError(w, err)
			return
		}
		items = append(items, b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "truncated": truncated})
}

// live: GET /api/live/{service}/{method}?q=<request JSON>, a long-lived
// server stream (KV watch, subscribe) as server-sent events: "message"
// events carry one response each; a "dropped" event carries the count of
// responses dropped because the browser read too slowly; an "error" event
// carries the final error. The stream ends when the browser goes away, the
// gateway ends the call, or after maxLiveStream.
func (c *Console) live(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, status.Error(codes.Internal, "streaming unsupported"))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, maxLiveStream)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	md, cs, err := c.openStream(ctx, r, liveMethod)
	if err != nil {
		writeError(w, err)
		return
	}
	// The first response proves the call is accepted (auth, validation), so
	// errors before it still get a plain HTTP status.
	first, err := newMessage(md.Output())
	if err == nil {
		err = cs.RecvMsg(first)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	events := make(chan []byte, streamBuffer)
	recvErr := make(chan error, 1)
	var dropped uint64
	dropCh := make(chan uint64, 1)
	go func() {
		defer close(events)
		msg := first
		for {
			b, err := marshalJSON.Marshal(msg)
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case events <- b:
			default:
				dropped++
				select {
				case <-dropCh:
				default:
				}
				dropCh <- dropped
			}
			if msg, err = newMessage(md.Output()); err == nil {
				err = cs.RecvMsg(msg)
			}
			if err != nil {
				recvErr <- err
				return
			}
		}
	}()
	var sent uint64
	for {
		select {
		case n := <-dropCh:
			if n > sent {
				sent = n
				fmt.Fprintf(w, "event: dropped\ndata: %d\n\n", n)
				flusher.Flush()
			}
		case b, ok := <-events:
			if !ok {
				err := <-recvErr
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					e, _ := errorBody(err)
					eb, _ := json.Marshal(e)
					fmt.Fprintf(w, "event: error\ndata: %s\n\n", eb)
				} else {
					fmt.Fprint(w, "event: end\ndata: {}\n\n")
				}
				flusher.Flush()
				return
			}
			fmt.Fprintf(w, "event: message\ndata: %s\n\n", b)
			if len(events) == 0 {
				flusher.Flush()
			}
		case <-ctx.Done():
			// The browser left (or the console closes): end the call and let
			// the receiver finish.
			cancel()
			for range events {
			}
			return
		}
	}
}
