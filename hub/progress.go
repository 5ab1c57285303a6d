package hub

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bar shows one file's download: a redrawn bar on a terminal, a few plain
// lines otherwise (start, every quarter, end).
type bar struct {
	w        io.Writer
	terminal bool
	name     string
	total    int64
	start    time.Time
	first    int64 // bytes already there when we began
	done     atomic.Int64

	mu       sync.Mutex
	quarter  int64
	stop     chan struct{}
	stopped  sync.WaitGroup
	finished bool
}

func (c *Client) newBar(name string, total, have int64) *bar {
	b := &bar{w: c.Progress, terminal: c.Terminal, name: name, total: total, start: time.Now(), first: have, stop: make(chan struct{})}
	b.done.Store(have)
	if b.w == nil {
		return b
	}
	if !b.terminal {
		if have > 0 {
			fmt.Fprintf(b.w, "hearth: downloading %s (%s, resuming at %s)\n", name, humanBytes(total), humanBytes(have))
		} else {
			fmt.Fprintf(b.w, "hearth: downloading %s (%s)\n", name, humanBytes(total))
		}
		b.quarter = quarterOf(have, total)
	}
	b.stopped.Add(1)
	go b.loop()
	return b
}

func quarterOf(done, total int64) int64 {
	if total <= 0 {
		return 4
	}
	return done * 4 / total
}

func (b *bar) add(n int) { b.done.Add(int64(n)) }

// reset sets the count back to n (a server that ignored Range).
func (b *bar) reset(n int64) { b.done.Store(n) }

func (b *bar) loop() {
	defer b.stopped.Done()
	every := time.Second
	if b.terminal {
		every = 200 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.draw(false)
		}
	}
}

func (b *bar) rate() (float64, time.Duration) {
	el := time.Since(b.start)
	got := b.done.Load() - b.first
	if el <= 0 || got <= 0 {
		return 0, el
	}
	return float64(got) / el.Seconds(), el
}

func (b *bar) draw(final bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	done := b.done.Load()
	speed, _ := b.rate()
	if !b.terminal {
		if final {
			return
		}
		q := quarterOf(done, b.total)
		if q > b.quarter && q < 4 {
			b.quarter = q
			fmt.Fprintf(b.w, "hearth: %s: %d%% of %s, %s/s\n", b.name, q*25, humanBytes(b.total), humanBytes(int64(speed)))
		}
		return
	}
	pct := 100.0
	if b.total > 0 {
		pct = float64(done) * 100 / float64(b.total)
	}
	const width = 24
	fill := int(pct / 100 * width)
	fill = max(0, min(fill, width))
	eta := "--:--"
	if speed > 0 && b.total > done {
		eta = fmtDuration(time.Duration(float64(b.total-done) / speed * float64(time.Second)))
	}
	name := b.name
	if len(name) > 32 {
		name = "…" + name[len(name)-31:]
	}
	fmt.Fprintf(b.w, "\r\x1b[K%-32s %5.1f%% [%s%s] %s/%s %s/s ETA %s", name, pct,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		humanBytes(done), humanBytes(b.total), humanBytes(int64(speed)), eta)
}

// finish stops the bar; err nil means the file is complete.
func (b *bar) finish(err error) {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	if b.finished {
		b.mu.Unlock()
		return
	}
	b.finished = true
	b.mu.Unlock()
	close(b.stop)
	b.stopped.Wait()
	speed, el := b.rate()
	if b.terminal {
		b.draw(true)
		fmt.Fprintln(b.w)
	}
	if err == nil {
		fmt.Fprintf(b.w, "hearth: %s: done, %s in %s (%s/s)\n", b.name, humanBytes(b.total), fmtDuration(el), humanBytes(int64(speed)))
	} else if errors.Is(err, ErrChecksum) {
		fmt.Fprintf(b.w, "hearth: %s: failed verification; the partial file was removed\n", b.name)
	} else {
		fmt.Fprintf(b.w, "hearth: %s: stopped at %s of %s; run the same command again to resume\n", b.name, humanBytes(b.done.Load()), humanBytes(b.total))
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func fmtDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
