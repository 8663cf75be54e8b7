package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/goautoml/automl/finish"
)

// Event stream timing: a heartbeat keeps proxies from closing an idle
// stream; a write that takes longer than writeWait ends the stream, so a
// stalled client holds nothing but its own goroutine.
const (
	heartbeat = 15 * time.Second
	writeWait = 10 * time.Second
)

// trialEvent is the data of a "trial" event.
type trialEvent struct {
	ID     int      `json:"id"`
	Family string   `json:"family"` // the registered name, for the leaderboard's filter
	HTML   string   `json:"html"`   // the leaderboard row, rendered like the page's
	Score  *float64 `json:"score"`
	Best   *float64 `json:"best"`
	Offset float64  `json:"offset"`
	Done   int      `json:"done"`
	Failed int      `json:"failed"`
	LeftMS int64    `json:"left_ms"`
}

// endEvent is the data of the "end" event, sent once the search is over.
type endEvent struct {
	Status string `json:"status"`
	Stop   string `json:"stop"`
}

// phaseEvent is the data of a "phase" event: what the run does now.
type phaseEvent struct {
	Phase string `json:"phase"`
	Label string `json:"label"`
}

func phaseLabel(phase string) string {
	switch finish.Phase(phase) {
	case finish.PhaseExplain:
		return "Search over: explaining the best trials…"
	case finish.PhaseNotebooks:
		return "Search over: writing the notebooks…"
	case finish.PhaseMLflow:
		return "Search over: logging to MLflow…"
	}
	return "Searching…"
}

// events streams an experiment's finished trials as server-sent events,
// starting after the Last-Event-ID (or ?after=) the page was rendered with.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	after, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	if after == 0 {
		after, _ = strconv.Atoi(r.URL.Query().Get("after"))
	}
	after = max(after, 0)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	send := func(event string, id int, data any) error {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		if id > 0 {
			fmt.Fprintf(w, "id: %d\n", id)
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if x.Live == nil {
		send("end", 0, endEvent{Status: x.Status, Stop: string(x.Stop)})
		return
	}
	sub := x.Live.subscribe()
	defer x.Live.unsubscribe(sub)
	keys := metricColumns(x.Exp.Config.Metric)
	base := "/experiments/" + url.PathEscape(x.Exp.Name)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	rc.SetWriteDeadline(time.Now().Add(writeWait))
	fmt.Fprint(w, "retry: 2000\n\n")
	rc.Flush()
	phase := ""
	for {
		snap := x.Live.since(after)
		for _, tr := range snap.Trials {
			html := string(rowHTML(trialRow(tr, 0, keys, base)))
			after++
			ev := trialEvent{ID: tr.ID, Family: string(tr.Model.Family), HTML: html, Score: finite(tr.Score(x.Exp.Config.Metric)),
				Best: finite(snap.Progress.BestScore), Offset: tr.Timing.OffsetSeconds, Done: snap.Progress.Done,
				Failed: snap.Progress.Failed, LeftMS: snap.Progress.Left.Milliseconds()}
			if err := send("trial", after, ev); err != nil {
				return
			}
		}
		if snap.Status != "running" {
			send("end", 0, endEvent{Status: snap.Status, Stop: string(snap.Stop)})
			return
		}
		if snap.Phase != phase {
			phase = snap.Phase
			if err := send("phase", 0, phaseEvent{Phase: phase, Label: phaseLabel(phase)}); err != nil {
				return
			}
		}
		select {
		case <-sub:
		case <-tick.C:
			rc.SetWriteDeadline(time.Now().Add(writeWait))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.s.ctx.Done():
			return
		}
	}
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
