package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line progress bar with rate and ETA on a terminal:
//
//	q4.pdf  42% [########            ]  12.3 MiB / 29.0 MiB  85.1 MiB/s  ETA 0:00:02
//
// It redraws at most every progressEvery and finishes with a newline. A nil
// *progress draws nothing, so callers need no checks. Safe for concurrent
// use.
type progress struct {
	w     io.Writer
	label string
	total int64 // < 0: unknown
	width int
	now   func() time.Time

	mu    sync.Mutex
	done  int64
	start time.Time
	last  time.Time
}

const progressEvery = 100 * time.Millisecond

// newProgress returns a progress bar on w when w is a terminal and show is
// true; nil otherwise (output redirected, or --no-progress).
func newProgress(w io.Writer, show bool, label string, total int64) *progress {
	f, ok := w.(*os.File)
	if !show || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return startProgress(w, label, total, width, time.Now)
}

func startProgress(w io.Writer, label string, total int64, width int, now func() time.Time) *progress {
	p := &progress{w: w, label: label, total: total, width: width, now: now}
	p.start = now()
	return p
}

// add records n more bytes done.
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	if t := p.now(); t.Sub(p.last) >= progressEvery {
		p.last = t
		p.draw(t)
	}
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.now())
	fmt.Fprintln(p.w)
}

func (p *progress) draw(t time.Time) {
	elapsed := t.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	var right string
	if p.total >= 0 {
		eta := "--:--"
		if rate > 0 {
			eta = fmtDuration(time.Duration(float64(p.total-p.done) / rate * float64(time.Second)))
		}
		right = fmt.Sprintf("%s / %s  %s/s  ETA %s", fmtBytes(p.done), fmtBytes(p.total), fmtBytes(int64(rate)), eta)
	} else {
		right = fmt.Sprintf("%s  %s/s", fmtBytes(p.done), fmtBytes(int64(rate)))
	}
	label := p.label
	if lim := p.width / 3; len(label) > lim && lim > 3 {
		label = "..." + label[len(label)-lim+3:]
	}
	line := label + "  " + right
	if p.total > 0 {
		pct := min(100, int(p.done*100/p.total))
		barWidth := p.width - len(label) - len(right) - 12
		bar := ""
		if barWidth >= 10 {
			fill := barWidth * pct / 100
			bar = " [" + strings.Repeat("#", fill) + strings.Repeat(" ", barWidth-fill) + "]"
		}
		line = fmt.Sprintf("%s %3d%%%s  %s", label, pct, bar, right)
	}
	if len(line) > p.width-1 {
		line = line[:p.width-1]
	}
	// \r returns to the start of the line; \x1b[K clears what is left of
	// a longer previous line.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// reader counts what is read through it.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

// writer counts what is written through it.
func (p *progress) writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return &progressWriter{w: w, p: p}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *progress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.add(n)
	return n, err
}

// fmtBytes formats a byte count in binary units ("12.3 MiB").
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
