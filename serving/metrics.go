package serving

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goautoml/automl/bundle"
)

// The routes metrics are kept for.
const (
	routeScore = iota
	routeOpenAPI
	routeReady
	routeStatus
	routeMetrics
	routeOther
	numRoutes
)

var routeNames = [numRoutes]string{"/score", "/swagger.json", "/ready", "/status", "/metrics", "other"}

// codes are the status codes counted one by one; others count as "other".
var codes = []int{200, 400, 401, 404, 405, 413, 415, 500, 503}

// buckets are the upper bounds, in seconds, of the latency histogram.
var buckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// metrics are lock-free counters, written as Prometheus text.
type metrics struct {
	requests [numRoutes][]atomic.Uint64 // by route, by code slot (len(codes)+1)
	latency  [numRoutes][]atomic.Uint64 // by route, by bucket (+Inf last), not cumulative
	sumNanos [numRoutes]atomic.Uint64
	rows     atomic.Uint64
	inFlight atomic.Int64
	started  time.Time
}

func newMetrics() *metrics {
	m := &metrics{started: time.Now()}
	for r := range numRoutes {
		m.requests[r] = make([]atomic.Uint64, len(codes)+1)
		m.latency[r] = make([]atomic.Uint64, len(buckets)+1)
	}
	return m
}

func codeSlot(code int) int {
	for i, c := range codes {
		if c == code {
			return i
		}
	}
	return len(codes)
}

// observe counts one request of route answered with code after d.
func (m *metrics) observe(route, code int, d time.Duration) {
	m.requests[route][codeSlot(code)].Add(1)
	s := d.Seconds()
	b := len(buckets)
	for i, ub := range buckets {
		if s <= ub {
			b = i
			break
		}
	}
	m.latency[route][b].Add(1)
	m.sumNanos[route].Add(uint64(d.Nanoseconds()))
}

// write renders every metric in the Prometheus text exposition format.
func (m *metrics) write(w io.Writer, model *bundle.Model) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	fmt.Fprintln(bw, "# HELP automl_serve_requests_total HTTP requests answered, by route and status code.")
	fmt.Fprintln(bw, "# TYPE automl_serve_requests_total counter")
	for r := range numRoutes {
		for i := range m.requests[r] {
			if n := m.requests[r][i].Load(); n > 0 {
				code := "other"
				if i < len(codes) {
					code = strconv.Itoa(codes[i])
				}
				fmt.Fprintf(bw, "automl_serve_requests_total{route=%q,code=%q} %d\n", routeNames[r], code, n)
			}
		}
	}
	fmt.Fprintln(bw, "# HELP automl_serve_errors_total HTTP requests answered with a 4xx or 5xx status, by route.")
	fmt.Fprintln(bw, "# TYPE automl_serve_errors_total counter")
	for r := range numRoutes {
		var n uint64
		for i := range m.requests[r] {
			if i == len(codes) || codes[i] >= 400 {
				n += m.requests[r][i].Load()
			}
		}
		fmt.Fprintf(bw, "automl_serve_errors_total{route=%q} %d\n", routeNames[r], n)
	}
	fmt.Fprintln(bw, "# HELP automl_serve_request_duration_seconds Time to answer a request, by route.")
	fmt.Fprintln(bw, "# TYPE automl_serve_request_duration_seconds histogram")
	for r := range numRoutes {
		var cum uint64
		for i := range m.latency[r] {
			cum += m.latency[r][i].Load()
			le := "+Inf"
			if i < len(buckets) {
				le = strconv.FormatFloat(buckets[i], 'g', -1, 64)
			}
			fmt.Fprintf(bw, "automl_serve_request_duration_seconds_bucket{route=%q,le=%q} %d\n", routeNames[r], le, cum)
		}
		sum := float64(m.sumNanos[r].Load()) / 1e9
		fmt.Fprintf(bw, "automl_serve_request_duration_seconds_sum{route=%q} %s\n", routeNames[r], strconv.FormatFloat(sum, 'g', -1, 64))
		fmt.Fprintf(bw, "automl_serve_request_duration_seconds_count{route=%q} %d\n", routeNames[r], cum)
	}
	fmt.Fprintln(bw, "# HELP automl_serve_rows_scored_total Records scored by successful /score requests.")
	fmt.Fprintln(bw, "# TYPE automl_serve_rows_scored_total counter")
	fmt.Fprintf(bw, "automl_serve_rows_scored_total %d\n", m.rows.Load())
	fmt.Fprintln(bw, "# HELP automl_serve_in_flight Requests being answered.")
	fmt.Fprintln(bw, "# TYPE automl_serve_in_flight gauge")
	fmt.Fprintf(bw, "automl_serve_in_flight %d\n", m.inFlight.Load())
	fmt.Fprintln(bw, "# HELP automl_serve_uptime_seconds Seconds since the handler was built.")
	fmt.Fprintln(bw, "# TYPE automl_serve_uptime_seconds gauge")
	fmt.Fprintf(bw, "automl_serve_uptime_seconds %s\n", strconv.FormatFloat(math.Round(time.Since(m.started).Seconds()*1000)/1000, 'g', -1, 64))
	fmt.Fprintln(bw, "# HELP automl_serve_model_info The model being served (always 1).")
	fmt.Fprintln(bw, "# TYPE automl_serve_model_info gauge")
	fmt.Fprintf(bw, "automl_serve_model_info{experiment=%s,trial=\"%d\",family=%s,data_sha256=%s} 1\n",
		label(model.Experiment), model.TrialID, label(string(model.Family)), label(model.DataSHA256))
}

// label quotes a Prometheus label value (backslash, quote and newline escaped).
func label(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
