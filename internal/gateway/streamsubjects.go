package gateway

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw/internal/tenant"
)

// A stream publish must not publish a message that no stream takes:
// JetStream publishes are ordinary NATS messages, so core subscribers on the
// subject would receive it (a leak of a failed persistent publish) and count
// as responders (the call would wait out its deadline instead of failing).
// The gateway therefore checks the subject against the stream's subjects
// before publishing (PublishToStream for each message, PipelinePublish for
// each frame, so a pipeline follows UpdateStream and DeleteStream). Looking the
// stream up costs a JetStream API round trip, so the subjects are cached
// per stream, for at most subjectsTTL, and dropped at once when the
// stream is updated or deleted (through this instance directly, through
// others by NATS's advisories). Within the short window an advisory takes,
// Nats-Expected-Stream (still set on every unary publish) keeps a message
// out of any other stream.

// Stream subject cache bounds.
const (
	subjectsTTL = time.Second
	subjectsMax = 4096
)

// advisoryStreamUpdated prefixes the advisory NATS publishes when a stream's
// configuration changes; its last token is the stream's name.
const advisoryStreamUpdated = "$JS.EVENT.ADVISORY.STREAM.UPDATED."

// streamSubjects caches the NATS subjects of streams by NATS stream name.
type streamSubjects struct {
	mu sync.Mutex
	m  map[string]subjectsEntry
}

type subjectsEntry struct {
	subjects []string
	at       time.Time
}

// forget drops the cached subjects of NATS stream name.
func (c *streamSubjects) forget(name string) {
	c.mu.Lock()
	delete(c.m, name)
	c.mu.Unlock()
}

// subjectsOf returns the NATS subjects of st, from the cache when they are
// fresh. A missing stream is the JetStream error (NotFound through
// natsError); it is not cached.
func (g *Gateway) subjectsOf(ctx context.Context, st tenant.Stream) ([]string, error) {
	name := st.NATSName()
	now := time.Now()
	c := &g.subjects
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < subjectsTTL {
		return e.subjects, nil
	}
	str, err := g.js.Stream(ctx, name)
	if err != nil {
		if ok && !errors.Is(err, jetstream.ErrStreamNotFound) {
			// A passing failure (a cluster electing the stream's leader):
			// keep the subjects until the next refresh unless the stream
			// was deleted meanwhile (the advisory dropped the entry).
			c.mu.Lock()
			defer c.mu.Unlock()
			if _, still := c.m[name]; still {
				c.m[name] = subjectsEntry{subjects: e.subjects, at: now}
				return e.subjects, nil
			}
		}
		return nil, err
	}
	subjects := str.CachedInfo().Config.Subjects
	c.mu.Lock()
	if c.m == nil || len(c.m) >= subjectsMax {
		c.m = make(map[string]subjectsEntry)
	}
	c.m[name] = subjectsEntry{subjects: subjects, at: now}
	c.mu.Unlock()
	return subjects, nil
}

// takesSubject reports whether a stream with the NATS subjects subjects
// stores a message published on the NATS subject subj.
func takesSubject(subjects []string, subj string) bool {
	return slices.ContainsFunc(subjects, func(pattern string) bool { return tenant.MatchSubject(pattern, subj) })
}
