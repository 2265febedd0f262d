package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw/internal/tenant"
)

// A queue's settings (pause, rate limits) live in its stream's metadata,
// so every gateway instance applies the same ones.

// queueSettings are a queue's settings.
type queueSettings struct {
	pausedUntil time.Time
	rates       map[string]float64 // by task type
}

func parseSettings(md map[string]string) queueSettings {
	var st queueSettings
	if v, ok := md[metaPausedUntil]; ok {
		st.pausedUntil, _ = time.Parse(time.RFC3339Nano, v)
	}
	for k, v := range md {
		if typ, ok := strings.CutPrefix(k, metaRatePrefix); ok {
			if r, err := strconv.ParseFloat(v, 64); err == nil && r > 0 {
				if st.rates == nil {
					st.rates = make(map[string]float64)
				}
				st.rates[typ] = r
			}
		}
	}
	return st
}

// settings reads q's settings.
func (s *Service) settings(ctx context.Context, q tenant.TaskQueue) (queueSettings, error) {
	str, err := s.js.Stream(ctx, q.NATSName())
	if err != nil {
		return queueSettings{}, s.errs(ctx, fmt.Sprintf("queue %q", q.Name()), err)
	}
	return parseSettings(str.CachedInfo().Config.Metadata), nil
}

// updateMetadata changes q's stream metadata with change (read, modify,
// write).
func (s *Service) updateMetadata(ctx context.Context, str jetstream.Stream, change func(map[string]string)) error {
	info, err := str.Info(ctx)
	if err != nil {
		return err
	}
	cfg := info.Config
	if cfg.Metadata == nil {
		cfg.Metadata = map[string]string{}
	}
	change(cfg.Metadata)
	_, err = s.js.UpdateStream(ctx, cfg)
	return err
}

// counterConfig is the configuration of a queue's counter stream (rate
// limit windows; old windows age out).
func counterConfig(q tenant.TaskQueue) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:            q.CounterName(),
		Description:     "natsgw task queue rate limits " + q.Name(),
		Subjects:        []string{q.CounterSpace()},
		Storage:         jetstream.MemoryStorage,
		MaxAge:          time.Hour,
		AllowMsgCounter: true,
		AllowDirect:     true,
	}
}

// rateLimits applies a queue's rate limits for one Work stream. Each
// limit counts starts per window (one second, or 1/rate seconds for rates
// below one per second) in a NATS counter shared by every worker and
// gateway instance: a worker reserves what it took, and gives back to the
// queue, until the next window, what the counter did not grant.
type rateLimits struct {
	s *Service
	q tenant.TaskQueue

	mu    sync.Mutex
	rates map[string]float64
}

func (s *Service) rateLimits(q tenant.TaskQueue, rates map[string]float64) *rateLimits {
	return &rateLimits{s: s, q: q, rates: rates}
}

func (r *rateLimits) set(rates map[string]float64) {
	r.mu.Lock()
	r.rates = rates
	r.mu.Unlock()
}

// window returns a rate's window and the starts it allows per window.
func window(rate float64) (time.Duration, int) {
	if rate >= 1 {
		return time.Second, int(math.Floor(rate))
	}
	return time.Duration(math.Ceil(1/rate)) * time.Second, 1
}

// admit reports, for each task taken (msgs[i] delivered ts[i]), whether it
// may start now. A task refused goes back to the queue until the next
// window (a NAK with that delay). If the counter cannot be reached, the
// tasks start (a limit is not worth stalling the queue for).
func (r *rateLimits) admit(ctx context.Context, ts []*task, msgs []jetstream.Msg) []bool {
	ok := make([]bool, len(ts))
	r.mu.Lock()
	rates := r.rates
	r.mu.Unlock()
	byType := map[string][]int{}
	for i, t := range ts {
		if _, limited := rates[t.typ]; limited {
			byType[t.typ] = append(byType[t.typ], i)
		} else {
			ok[i] = true
		}
	}
	for typ, idx := range byType {
		granted, next, err := r.reserve(ctx, typ, rates[typ], len(idx))
		if err != nil {
			r.s.log.Warn("rate limit counter unavailable; not limiting", "queue", r.q.Name(), "type", typ, "err", err)
			granted = len(idx)
		}
		for j, i := range idx {
			if j < granted {
				ok[i] = true
			} else {
				_ = msgs[i].NakWithDelay(next)
			}
		}
	}
	return ok
}

// reserve asks the counter of typ's current window for n starts; it
// returns how many it granted and how long until the next window.
func (r *rateLimits) reserve(ctx context.Context, typ string, rate float64, n int) (int, time.Duration, error) {
	win, limit := window(rate)
	now := time.Now()
	idx := now.UnixNano() / int64(win)
	next := time.Unix(0, (idx+1)*int64(win)).Sub(now)
	m := nats.NewMsg(r.q.CounterSubject(typ, strconv.FormatInt(idx, 10)))
	m.Header.Set("Nats-Incr", "+"+strconv.Itoa(n))
	ack, err := r.s.js.PublishMsg(ctx, m)
	if err != nil {
		return 0, next, err
	}
	total, err := strconv.ParseInt(ack.Value, 10, 64)
	if err != nil {
		return 0, next, errors.New("counter value " + strconv.Quote(ack.Value))
	}
	before := total - int64(n)
	granted := int64(limit) - before
	return int(max(0, min(granted, int64(n)))), next, nil
}
