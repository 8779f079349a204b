package replicate

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress reports a run's steps: a redrawn bar with ETA, loss, LR and
// images per second on a terminal; a plain line every interval otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	name     string
	total    int // steps in the run
	start    time.Time
	last     time.Time
	interval time.Duration
	images   int
}

func newProgress(w io.Writer, name string, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, tty: tty, name: name, total: total, start: now, last: now, interval: 10 * time.Second}
}

// step reports that step done (1-based, over the whole run) finished.
func (p *progress) step(done, batch int, loss, lr float64) {
	if p.w == nil {
		return
	}
	p.images += batch
	now := time.Now()
	if !p.tty && now.Sub(p.last) < p.interval && done != p.total {
		return
	}
	if p.tty && now.Sub(p.last) < 200*time.Millisecond && done != p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	ips := float64(p.images) / max(el, 1e-9)
	eta := time.Duration(float64(p.total-done) * el / float64(max(done, 1)) * float64(time.Second)).Round(time.Second)
	if p.tty {
		const width = 24
		fill := width * done / max(p.total, 1)
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d loss %.4f lr %.2e %.0f img/s ETA %s   ",
			p.name, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.total, loss, lr, ips, eta)
		if done == p.total {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintf(p.w, "%s step %d/%d loss %.4f lr %.2e %.0f img/s ETA %s\n", p.name, done, p.total, loss, lr, ips, eta)
}

// line prints a message on its own line.
func (p *progress) line(format string, args ...any) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, p.name+" "+format+"\n", args...)
}
