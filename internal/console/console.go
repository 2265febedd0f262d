// Package console serves natsgw's web console: a small single-page
// application embedded in the binary (static/, no build step) and the JSON
// API it calls.
//
// The JSON API is a thin HTTP layer over the gateway's own gRPC services,
// reached through a client connection to the same grpc.Server (in memory).
// Every console request is a gRPC call carrying the browser session's
// identity as call metadata, so authentication, tenancy mapping, validation,
// rate limits and the error table are exactly those of the gRPC API: the
// console implements none of those rules itself. Its own rules are few:
//
//   - A session is created by POST /api/login, which checks the credential
//     with the gateway's authenticator (Config.Identify), and is kept in
//     memory under a random id sent as an HttpOnly, SameSite=Strict cookie.
//     The token never appears in a URL, a page or a log; a revoked token
//     fails at the next call, since every call presents it again.
//   - Methods are allowlisted (allowlist.go): the console can do only what
//     its pages need, and only where an RPC exists.
//   - Requests that change anything must carry the header
//     X-Natsgw-Console: 1, which a cross-site form cannot send (CSRF).
//   - Live streams (KV watch, subject tail) are bounded: the browser gets at
//     most streamBuffer events queued; beyond that events are dropped and
//     counted, like the gateway's own subscriptions.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

//go:embed static
var staticFS embed.FS

// Config connects the console to the gateway.
type Config struct {
	// Conn reaches the gateway's gRPC services (natsgw.v1.*). Required.
	Conn grpc.ClientConnInterface
	// Identify checks login credentials, given as the call metadata the
	// gRPC API expects ("authorization: Bearer <token>", or x-natsgw-org /
	// x-natsgw-user in open mode), and returns the identity they grant.
	// Required. Its error is a gRPC status.
	Identify func(ctx context.Context, md metadata.MD) (org, user string, err error)
	// TokenMode is true when the gateway requires tokens; the login page
	// then asks for a token instead of an organization.
	TokenMode bool
	// SecureCookie marks the session cookie Secure (set when the console is
	// served over TLS).
	SecureCookie bool
	// Logger receives the console's own log lines. Nil discards them.
	Logger *slog.Logger
}

// Session lifetimes: a session ends after idleTimeout without requests, and
// at the latest maxAge after login.
const (
	idleTimeout = time.Hour
	maxAge      = 12 * time.Hour
	maxSessions = 10000
	cookieName  = "natsgw_console"
	csrfHeader  = "X-Natsgw-Console"
)

// Console is the console's HTTP handler. Safe for concurrent use.
type Console struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	ctx    context.Context // ends live streams on Close
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*session
}

type session struct {
	md       metadata.MD // sent with every call
	org      string
	user     string
	created  time.Time
	lastUsed time.Time
}

// New builds the console. It does no I/O.
func New(cfg Config) *Console {
	c := &Console{cfg: cfg, log: cfg.Logger, sessions: make(map[string]*session)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)

	mux := http.NewServeMux()
	csp := contentSecurityPolicy(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		securityHeaders(w)
		w.Header().Set("Content-Security-Policy", csp)
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheHeaders(files)))
	mux.HandleFunc("GET /api/session", c.getSession)
	mux.HandleFunc("POST /api/login", c.login)
	mux.HandleFunc("POST /api/logout", c.logout)
	mux.HandleFunc("POST /api/rpc/{service}/{method}", c.authed(c.unary))
	mux.HandleFunc("GET /api/list/{service}/{method}", c.authed(c.list))
	mux.HandleFunc("GET /api/live/{service}/{method}", c.authed(c.live))
	mux.HandleFunc("GET /api/objects/{bucket}/data", c.authed(c.download))
	mux.HandleFunc("PUT /api/objects/{bucket}/data", c.authed(c.upload))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, status.Errorf(codes.NotFound, "%s %s: no such console API", r.Method, r.URL.Path))
	})
	c.mux = mux
	return c
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Close ends every live stream and forgets all sessions.
func (c *Console) Close() {
	c.cancel()
	c.mu.Lock()
	clear(c.sessions)
	c.mu.Unlock()
}

// contentSecurityPolicy allows scripts from the console's own files only,
// plus the page's one inline script, the import map, by its hash.
func contentSecurityPolicy(static fs.FS) string {
	script := "'self'"
	if page, err := fs.ReadFile(static, "index.html"); err == nil {
		const open, end = `<script type="importmap">`, "</script>"
		if _, rest, ok := strings.Cut(string(page), open); ok {
			if body, _, ok := strings.Cut(rest, end); ok {
				sum := sha256.Sum256([]byte(body))
				script += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			}
		}
	}
	return "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src " + script +
		"; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func cacheHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// loginRequest is the body of POST /api/login: a token in token mode, an
// organization (and optionally a user) in open mode.
type loginRequest struct {
	Token string `json:"token"`
	Org   string `json:"org"`
	User  string `json:"user"`
}

type sessionInfo struct {
	LoggedIn  bool   `json:"logged_in"`
	Org       string `json:"org,omitempty"`
	User      string `json:"user,omitempty"`
	TokenMode bool   `json:"token_mode"`
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeError(w, status.Error(codes.InvalidArgument, "body: must be a JSON object with \"token\" (or \"org\" and \"user\" in open mode)"))
		return
	}
	md := metadata.MD{}
	if c.cfg.TokenMode {
		if req.Token == "" {
			writeError(w, invalidField("token", "a token is required"))
			return
		}
		md.Set("authorization", "Bearer "+req.Token)
	} else {
		if req.Org != "" {
			md.Set("x-natsgw-org", req.Org)
		}
		if req.User != "" {
			md.Set("x-natsgw-user", req.User)
		}
	}
	org, user, err := c.cfg.Identify(r.Context(), md)
	if err != nil {
		writeError(w, err)
		return
	}
	id, err := newSessionID()
	if err != nil {
		writeError(w, status.Error(codes.Internal, "internal error"))
		return
	}
	now := time.Now()
	c.mu.Lock()
	c.expireLocked(now)
	if len(c.sessions) >= maxSessions {
		c.mu.Unlock()
		writeError(w, status.Error(codes.ResourceExhausted, "too many console sessions; try again later"))
		return
	}
	c.sessions[id] = &session{md: md, org: org, user: user, created: now, lastUsed: now}
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: c.cfg.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge / time.Second),
	})
	c.log.Info("console login", "org", org, "user", user)
	writeJSON(w, http.StatusOK, sessionInfo{LoggedIn: true, Org: org, User: user, TokenMode: c.cfg.TokenMode})
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	if ck, err := r.Cookie(cookieName); err == nil {
		c.mu.Lock()
		delete(c.sessions, ck.Value)
		c.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, struct{}{})
}

// getSession tells the page who is logged in ("logged_in": false when
// nobody is: the page then shows its login form, which asks for a token or
// an organization as "token_mode" says).
func (c *Console) getSession(w http.ResponseWriter, r *http.Request) {
	s := c.lookup(r)
	if s == nil {
		writeJSON(w, http.StatusOK, sessionInfo{TokenMode: c.cfg.TokenMode})
		return
	}
	writeJSON(w, http.StatusOK, sessionInfo{LoggedIn: true, Org: s.org, User: s.user, TokenMode: c.cfg.TokenMode})
}

func (c *Console) lookup(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[ck.Value]
	if s == nil {
		return nil
	}
	if now.Sub(s.lastUsed) > idleTimeout || now.Sub(s.created) > maxAge {
		delete(c.sessions, ck.Value)
		return nil
	}
	s.lastUsed = now
	return s
}

func (c *Console) expireLocked(now time.Time) {
	for id, s := range c.sessions {
		if now.Sub(s.lastUsed) > idleTimeout || now.Sub(s.created) > maxAge {
			delete(c.sessions, id)
		}
	}
}

// authed runs h with the call context of the request's session: the
// session's metadata as outgoing gRPC metadata. Requests other than GET
// must carry the CSRF header.
func (c *Console) authed(h func(http.ResponseWriter, *http.Request, context.Context)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !csrfOK(w, r) {
			return
		}
		s := c.lookup(r)
		if s == nil {
			writeError(w, status.Error(codes.Unauthenticated, "not logged in (or the session expired): log in again"))
			return
		}
		securityHeaders(w)
		h(w, r, metadata.NewOutgoingContext(r.Context(), s.md))
	}
}

func csrfOK(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get(csrfHeader) == "1" {
		return true
	}
	writeError(w, status.Errorf(codes.PermissionDenied, "header %s: must be 1 on requests that change state", csrfHeader))
	return false
}

func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// splitMethod turns the path values {service}/{method} into the gRPC full
// method name, accepting "StreamService" as short for
// "natsgw.v1.StreamService".
func splitMethod(r *http.Request) string {
	svc := r.PathValue("service")
	if !strings.Contains(svc, ".") {
		svc = "natsgw.v1." + svc
	}
	return "/" + svc + "/" + r.PathValue("method")
}

var errNotAllowed = errors.New("not allowed")
