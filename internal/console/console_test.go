package console_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// browser is a console client with its own cookie jar, as one browser tab.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	testutil.NoErr(t, err, "cookie jar")
	b := &browser{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	t.Cleanup(b.hc.CloseIdleConnections)
	return b
}

// do sends a request (with the console's CSRF header unless csrf is false)
// and returns the status and body.
func (b *browser) do(method, path string, body io.Reader, csrf bool) (int, []byte) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	testutil.NoErr(b.t, err, "new request")
	if csrf {
		req.Header.Set("X-Natsgw-Console", "1")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.hc.Do(req)
	testutil.NoErr(b.t, err, method+" "+path)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	testutil.NoErr(b.t, err, "read body")
	return resp.StatusCode, out
}

func (b *browser) login(creds map[string]string) {
	b.t.Helper()
	body, _ := json.Marshal(creds)
	code, out := b.do("POST", "/api/login", bytes.NewReader(body), true)
	if code != http.StatusOK {
		b.t.Fatalf("login %v: %d %s", creds, code, out)
	}
}

// rpc calls a unary method with req as JSON and decodes the answer into a
// map; it returns the HTTP status.
func (b *browser) rpc(method string, req any) (int, map[string]any) {
	b.t.Helper()
	body, _ := json.Marshal(req)
	code, out := b.do("POST", "/api/rpc/"+method, bytes.NewReader(body), true)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		b.t.Fatalf("%s: answer is not JSON: %v: %s", method, err, out)
	}
	return code, m
}

func streamNames(t *testing.T, m map[string]any) []string {
	t.Helper()
	var names []string
	list, _ := m["streams"].([]any)
	for _, s := range list {
		cfg := s.(map[string]any)["config"].(map[string]any)
		names = append(names, cfg["name"].(string))
	}
	return names
}

func TestConsoleOpenModeOrgScoping(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithConsole())
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	_, err := acme.CreateStream(ctx, natsgw.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
	testutil.NoErr(t, err, "create stream")
	_, err = acme.PublishToStream(ctx, "ORDERS", "orders.new", []byte(`{"id":1}`), natsgw.WithMsgHeader(natsgw.Header{"Source": {"web"}}))
	testutil.NoErr(t, err, "publish to stream")

	anon := newBrowser(t, srv.ConsoleURL())
	code, body := anon.do("GET", "/api/session", nil, false)
	testutil.Equal(t, string(body), `{"logged_in":false,"token_mode":false}`+"\n", fmt.Sprint("session before login ", code))
	code, _ = anon.rpc("StreamService/ListStreams", map[string]any{})
	testutil.Equal(t, code, http.StatusUnauthorized, "API before login")

	t.Run("login needs the CSRF header", func(t *testing.T) {
		code, _ := anon.do("POST", "/api/login", strings.NewReader(`{"org":"acme"}`), false)
		testutil.Equal(t, code, http.StatusForbidden, "login without X-Natsgw-Console")
	})

	a := newBrowser(t, srv.ConsoleURL())
	a.login(map[string]string{"org": "acme", "user": "ops"})
	code, body = a.do("GET", "/api/session", nil, false)
	testutil.Equal(t, code, http.StatusOK, "session")
	testutil.Equal(t, string(body), `{"logged_in":true,"org":"acme","user":"ops","token_mode":false}`+"\n", "session body")

	code, m := a.rpc("StreamService/ListStreams", map[string]any{})
	testutil.Equal(t, code, http.StatusOK, "list streams")
	testutil.Equal(t, streamNames(t, m), []string{"ORDERS"}, "acme's streams")

	code, m = a.rpc("StreamService/GetStreamMessage", map[string]any{"stream": "ORDERS", "sequence": 1})
	testutil.Equal(t, code, http.StatusOK, fmt.Sprint("get message ", m))
	msg := m["message"].(map[string]any)
	testutil.Equal(t, msg["subject"], any("orders.new"), "subject in the caller's view")
	data, _ := msg["data"].(string) // protojson: bytes as base64
	testutil.Equal(t, data, "eyJpZCI6MX0=", "payload")

	t.Run("another org sees nothing", func(t *testing.T) {
		o := newBrowser(t, srv.ConsoleURL())
		o.login(map[string]string{"org": "other"})
		code, m := o.rpc("StreamService/ListStreams", map[string]any{})
		testutil.Equal(t, code, http.StatusOK, "list")
		testutil.Equal(t, len(streamNames(t, m)), 0, "other org's streams")
		code, m = o.rpc("StreamService/GetStream", map[string]any{"name": "ORDERS"})
		testutil.Equal(t, code, http.StatusNotFound, fmt.Sprint("other org's GetStream ", m))
		testutil.Equal(t, m["code"], any("NOT_FOUND"), "code")
		code, _ = o.rpc("StreamService/PurgeStream", map[string]any{"name": "ORDERS"})
		testutil.Equal(t, code, http.StatusNotFound, "other org's purge")
		_, err := acme.StreamInfo(ctx, "ORDERS")
		testutil.NoErr(t, err, "acme's stream still there")
	})

	t.Run("task queues are the org's own", func(t *testing.T) {
		_, err := acme.Tasks("emails").Enqueue(ctx, "send_email", []byte("x"))
		testutil.NoErr(t, err, "enqueue")
		code, m := a.rpc("TaskService/ListQueues", map[string]any{})
		testutil.Equal(t, code, http.StatusOK, fmt.Sprint("acme's queues ", m))
		testutil.Equal(t, m["queues"], any([]any{"emails"}), "acme's queues")
		code, m = a.rpc("TaskService/GetQueueStats", map[string]any{"queue": "emails"})
		testutil.Equal(t, code, http.StatusOK, fmt.Sprint("stats ", m))
		testutil.Equal(t, m["stats"].(map[string]any)["queued"], any("1"), "queued (uint64 as a JSON string)")
		o := newBrowser(t, srv.ConsoleURL())
		o.login(map[string]string{"org": "other"})
		code, m = o.rpc("TaskService/ListQueues", map[string]any{})
		testutil.Equal(t, code, http.StatusOK, "other's queues")
		testutil.Equal(t, len(m["queues"].([]any)), 0, "other org's queues")
		// Issue 11: an unknown queue is InvalidArgument naming the field.
		code, m = o.rpc("TaskService/PurgeQueue", map[string]any{"queue": "emails"})
		testutil.Equal(t, code, http.StatusBadRequest, fmt.Sprint("other org purges acme's queue: ", m))
		testutil.Equal(t, m["field_violations"].([]any)[0].(map[string]any)["field"], any("queue"), "field")
		st, err := acme.Tasks("emails").Stats(ctx)
		testutil.NoErr(t, err, "stats")
		testutil.Equal(t, st.Queued, 1, "acme's task is still there")
	})

	t.Run("bad input names the field", func(t *testing.T) {
		code, m := a.rpc("StreamService/GetStream", map[string]any{"name": "no spaces"})
		testutil.Equal(t, code, http.StatusBadRequest, fmt.Sprint(m))
		testutil.Equal(t, m["code"], any("INVALID_ARGUMENT"), "code")
		fv := m["field_violations"].([]any)[0].(map[string]any)
		testutil.Equal(t, fv["field"], any("name"), "violating field")
		code, _ = a.do("POST", "/api/rpc/StreamService/GetStream", strings.NewReader(`{"nope":1}`), true)
		testutil.Equal(t, code, http.StatusBadRequest, "unknown JSON field")
		code, _ = a.do("POST", "/api/rpc/StreamService/GetStream", strings.NewReader(`{`), true)
		testutil.Equal(t, code, http.StatusBadRequest, "malformed JSON")
		code, _ = a.rpc("MessagingService/Request", map[string]any{"subject": "x"})
		testutil.Equal(t, code, http.StatusNotFound, "method not in the console")
		code, _ = a.rpc("StreamService/PurgeStream", map[string]any{"name": "ORDERS"})
		testutil.Equal(t, code, http.StatusOK, "purge with the header")
		code, _ = a.do("POST", "/api/rpc/StreamService/PurgeStream", strings.NewReader(`{"name":"ORDERS"}`), false)
		testutil.Equal(t, code, http.StatusForbidden, "purge without the CSRF header")
	})

	t.Run("logout ends the session", func(t *testing.T) {
		b := newBrowser(t, srv.ConsoleURL())
		b.login(map[string]string{"org": "acme"})
		code, _ := b.do("POST", "/api/logout", nil, true)
		testutil.Equal(t, code, http.StatusOK, "logout")
		code, _ = b.rpc("StreamService/ListStreams", map[string]any{})
		testutil.Equal(t, code, http.StatusUnauthorized, "after logout")
	})
}

func TestConsoleTokenMode(t *testing.T) {
	t.Parallel()
	path, toks := natsgwtest.WriteAuthFile(t, [2]string{"acme", "billing"}, [2]string{"bob", "svc"})
	srv := natsgwtest.NewServer(t, natsgwtest.WithAuthFile(path), natsgwtest.WithConsole())
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithToken(toks[0]))
	_, err := acme.KeyValue("cfg").Put(ctx, "db.host", []byte("localhost"))
	testutil.NoErr(t, err, "kv put")

	b := newBrowser(t, srv.ConsoleURL())
	code, body := b.do("GET", "/api/session", nil, false)
	testutil.Equal(t, code, http.StatusOK, "session status")
	testutil.Equal(t, string(body), `{"logged_in":false,"token_mode":true}`+"\n", "login form asks for a token")
	code, body = b.do("POST", "/api/login", strings.NewReader(`{"org":"acme"}`), true)
	testutil.Equal(t, code, http.StatusBadRequest, "an org is no credential in token mode: "+string(body))
	code, _ = b.do("POST", "/api/login", strings.NewReader(`{"token":"ngw_forged"}`), true)
	testutil.Equal(t, code, http.StatusUnauthorized, "bad token")

	b.login(map[string]string{"token": toks[1]})
	code, body = b.do("GET", "/api/session", nil, false)
	testutil.Equal(t, string(body), `{"logged_in":true,"org":"bob","user":"svc","token_mode":true}`+"\n", fmt.Sprint("session ", code))
	code, m := b.rpc("KeyValueService/Get", map[string]any{"bucket": "cfg", "key": "db.host"})
	testutil.Equal(t, code, http.StatusNotFound, fmt.Sprint("bob reading acme's bucket: ", m))

	a := newBrowser(t, srv.ConsoleURL())
	a.login(map[string]string{"token": toks[0]})
	code, m = a.rpc("KeyValueService/Get", map[string]any{"bucket": "cfg", "key": "db.host"})
	testutil.Equal(t, code, http.StatusOK, fmt.Sprint("acme reading its bucket: ", m))
	testutil.Equal(t, m["entry"].(map[string]any)["value"], any("bG9jYWxob3N0"), "value (base64)")

	t.Run("a revoked token stops working at the next request", func(t *testing.T) {
		var f server.AuthFile
		raw, err := os.ReadFile(path)
		testutil.NoErr(t, err, "read auth file")
		testutil.NoErr(t, json.Unmarshal(raw, &f), "parse auth file")
		f.Tokens = f.Tokens[1:] // drop acme's token
		raw, _ = json.Marshal(f)
		testutil.NoErr(t, os.WriteFile(path, raw, 0o600), "write auth file")
		testutil.NoErr(t, srv.ReloadAuth(), "reload")
		code, _ := a.rpc("KeyValueService/Get", map[string]any{"bucket": "cfg", "key": "db.host"})
		testutil.Equal(t, code, http.StatusUnauthorized, "revoked token")
	})
}

// sse reads server-sent events from a live console stream.
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

func (b *browser) live(t *testing.T, method string, req any) *sse {
	t.Helper()
	q, _ := json.Marshal(req)
	resp, err := b.hc.Get(b.base + "/api/live/" + method + "?q=" + url.QueryEscape(string(q)))
	testutil.NoErr(t, err, "live "+method)
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("live %s: %d %s", method, resp.StatusCode, out)
	}
	return &sse{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event's name and data (the client's 20 s timeout
// bounds the wait).
func (s *sse) next(t *testing.T) (string, map[string]any) {
	t.Helper()
	var event string
	for {
		line, err := s.r.ReadString('\n')
		testutil.NoErr(t, err, "read event")
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var m map[string]any
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m)
			return event, m
		}
	}
}

func TestConsoleLive(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithConsole())
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	a := newBrowser(t, srv.ConsoleURL())
	a.login(map[string]string{"org": "acme"})
	o := newBrowser(t, srv.ConsoleURL())
	o.login(map[string]string{"org": "other"})

	t.Run("tail a subject", func(t *testing.T) {
		other := o.live(t, "MessagingService/Subscribe", map[string]any{"subject": ">"})
		ev, _ := other.next(t)
		testutil.Equal(t, ev, "message", "other org's readiness frame")
		tail := a.live(t, "MessagingService/Subscribe", map[string]any{"subject": "events.>"})
		ev, _ = tail.next(t)
		testutil.Equal(t, ev, "message", "readiness frame")
		testutil.NoErr(t, acme.Publish(ctx, "events.user.login", []byte("hi"), natsgw.WithHeader(natsgw.Header{"Source": {"web"}})), "publish")
		ev, m := tail.next(t)
		testutil.Equal(t, ev, "message", "event")
		msgs := m["messages"].([]any)
		got := msgs[0].(map[string]any)
		testutil.Equal(t, got["subject"], any("events.user.login"), "subject")
		testutil.Equal(t, got["data"], any("aGk="), "data")
		// Marker ordering: the other org's tail gets its own marker and
		// nothing before it.
		oc := srv.Client(t, natsgw.WithOrg("other"))
		testutil.NoErr(t, oc.Publish(ctx, "marker", []byte("m")), "marker")
		_, m = other.next(t)
		testutil.Equal(t, m["messages"].([]any)[0].(map[string]any)["subject"], any("marker"), "other org saw only its marker")
	})

	t.Run("watch a KV bucket", func(t *testing.T) {
		kv := acme.KeyValue("cfg")
		_, err := kv.Put(ctx, "a", []byte("1"))
		testutil.NoErr(t, err, "put")
		w := a.live(t, "KeyValueService/Watch", map[string]any{"bucket": "cfg", "key": ">"})
		for {
			ev, m := w.next(t)
			testutil.Equal(t, ev, "message", "event")
			if m["init_done"] == true {
				break
			}
		}
		_, err = kv.Put(ctx, "b", []byte("2"))
		testutil.NoErr(t, err, "put")
		for {
			_, m := w.next(t)
			entries, _ := m["entries"].([]any)
			if len(entries) > 0 && entries[0].(map[string]any)["key"] == "b" {
				testutil.Equal(t, entries[0].(map[string]any)["value"], any("Mg=="), "value")
				break
			}
		}
	})

	t.Run("live on a unary method is refused", func(t *testing.T) {
		code, _ := a.do("GET", "/api/live/StreamService/ListStreams", nil, false)
		testutil.Equal(t, code, http.StatusNotFound, "unary as live")
	})
}

func TestConsoleObjects(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithConsole())
	a := newBrowser(t, srv.ConsoleURL())
	a.login(map[string]string{"org": "acme"})
	data := make([]byte, 3<<20+123)
	_, _ = rand.Read(data)
	sum := sha256.Sum256(data)

	code, out := a.do("PUT", "/api/objects/docs/data?name="+url.QueryEscape("reports/q4.bin")+"&meta=author%3Dann", bytes.NewReader(data), true)
	testutil.Equal(t, code, http.StatusOK, "upload: "+string(out))
	var put map[string]any
	testutil.NoErr(t, json.Unmarshal(out, &put), "upload answer")
	testutil.Equal(t, put["info"].(map[string]any)["size"], any(fmt.Sprint(len(data))), "size (uint64 as a JSON string)")

	resp, err := a.hc.Get(a.base + "/api/objects/docs/data?name=" + url.QueryEscape("reports/q4.bin"))
	testutil.NoErr(t, err, "download")
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	testutil.NoErr(t, err, "read download")
	testutil.Equal(t, resp.StatusCode, http.StatusOK, "download status")
	testutil.Equal(t, bytes.Equal(got, data), true, "downloaded bytes")
	testutil.Equal(t, resp.Header.Get("X-Object-Sha256"), hex.EncodeToString(sum[:]), "digest header")
	testutil.Equal(t, resp.Header.Get("Content-Disposition"), `attachment; filename=q4.bin`, "file name")

	t.Run("pagination", func(t *testing.T) {
		for _, n := range []string{"a", "b"} {
			code, out := a.do("PUT", "/api/objects/docs/data?name="+n, strings.NewReader(n), true)
			testutil.Equal(t, code, http.StatusOK, "upload "+n+": "+string(out))
		}
		var names []string
		token := ""
		for page := 0; page < 5; page++ {
			code, m := a.rpc("ObjectStoreService/ListObjects", map[string]any{"bucket": "docs", "page_size": 2, "page_token": token})
			testutil.Equal(t, code, http.StatusOK, fmt.Sprint("list page ", m))
			objs := m["objects"].([]any)
			testutil.Equal(t, len(objs) <= 2, true, "page size honoured")
			for _, o := range objs {
				names = append(names, o.(map[string]any)["name"].(string))
			}
			if token = m["next_page_token"].(string); token == "" {
				break
			}
		}
		slices.Sort(names)
		testutil.Equal(t, names, []string{"a", "b", "reports/q4.bin"}, "every object once")
	})

	o := newBrowser(t, srv.ConsoleURL())
	o.login(map[string]string{"org": "other"})
	code, m := o.rpc("ObjectStoreService/ListObjects", map[string]any{"bucket": "docs"})
	testutil.Equal(t, code, http.StatusNotFound, fmt.Sprint("other org lists acme's bucket: ", m))
	code, _ = o.do("GET", "/api/objects/docs/data?name="+url.QueryEscape("reports/q4.bin"), nil, false)
	testutil.Equal(t, code, http.StatusNotFound, "other org's download")
	code, _ = a.do("PUT", "/api/objects/docs/data?name=x", strings.NewReader("x"), false)
	testutil.Equal(t, code, http.StatusForbidden, "upload without the CSRF header")
	code, out = a.do("PUT", "/api/objects/bad%20bucket/data?name=x", strings.NewReader("x"), true)
	testutil.Equal(t, code, http.StatusBadRequest, "bad bucket name: "+string(out))
}
