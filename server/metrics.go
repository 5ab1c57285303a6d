package server

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics are the counters /metrics exposes in Prometheus' text format.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]int64 // endpoint, status code
	reqSum   map[string]float64  // endpoint: seconds
	reqCount map[string]int64

	promptTokens, genTokens int64
	genSeconds              float64
	ttftBuckets             []float64
	ttftCounts              []int64
	ttftSum                 float64
	ttftCount               int64
	lastTPS                 float64
}

func newMetrics() *metrics {
	b := []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	return &metrics{requests: map[[2]string]int64{}, reqSum: map[string]float64{}, reqCount: map[string]int64{},
		ttftBuckets: b, ttftCounts: make([]int64, len(b))}
}

func (m *metrics) request(endpoint string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{endpoint, fmt.Sprint(status)}]++
	m.reqSum[endpoint] += d.Seconds()
	m.reqCount[endpoint]++
}

// generation records one finished generation.
func (m *metrics) generation(prompt, gen int, ttft, genTime time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.promptTokens += int64(prompt)
	m.genTokens += int64(gen)
	m.genSeconds += genTime.Seconds()
	if gen > 1 && genTime > 0 {
		m.lastTPS = float64(gen-1) / genTime.Seconds()
	}
	if ttft > 0 {
		s := ttft.Seconds()
		m.ttftSum += s
		m.ttftCount++
		for i, b := range m.ttftBuckets {
			if s <= b {
				m.ttftCounts[i]++
			}
		}
	}
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	m := s.metrics
	var b strings.Builder
	m.mu.Lock()
	b.WriteString("# HELP hearth_requests_total HTTP requests by endpoint and status code.\n# TYPE hearth_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "hearth_requests_total{endpoint=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	b.WriteString("# HELP hearth_request_duration_seconds Time to answer a request, by endpoint.\n# TYPE hearth_request_duration_seconds summary\n")
	eps := make([]string, 0, len(m.reqCount))
	for k := range m.reqCount {
		eps = append(eps, k)
	}
	sort.Strings(eps)
	for _, e := range eps {
		fmt.Fprintf(&b, "hearth_request_duration_seconds_sum{endpoint=%q} %g\n", e, m.reqSum[e])
		fmt.Fprintf(&b, "hearth_request_duration_seconds_count{endpoint=%q} %d\n", e, m.reqCount[e])
	}
	fmt.Fprintf(&b, "# HELP hearth_prompt_tokens_total Prompt tokens of finished generations.\n# TYPE hearth_prompt_tokens_total counter\nhearth_prompt_tokens_total %d\n", m.promptTokens)
	fmt.Fprintf(&b, "# HELP hearth_generated_tokens_total Tokens generated.\n# TYPE hearth_generated_tokens_total counter\nhearth_generated_tokens_total %d\n", m.genTokens)
	fmt.Fprintf(&b, "# HELP hearth_generation_seconds_total Time spent generating, summed over requests.\n# TYPE hearth_generation_seconds_total counter\nhearth_generation_seconds_total %g\n", m.genSeconds)
	fmt.Fprintf(&b, "# HELP hearth_tokens_per_second Generation speed of the last finished request.\n# TYPE hearth_tokens_per_second gauge\nhearth_tokens_per_second %g\n", m.lastTPS)
	b.WriteString("# HELP hearth_time_to_first_token_seconds Time from request to first generated token.\n# TYPE hearth_time_to_first_token_seconds histogram\n")
	for i, le := range m.ttftBuckets {
		fmt.Fprintf(&b, "hearth_time_to_first_token_seconds_bucket{le=\"%g\"} %d\n", le, m.ttftCounts[i])
	}
	fmt.Fprintf(&b, "hearth_time_to_first_token_seconds_bucket{le=\"+Inf\"} %d\n", m.ttftCount)
	fmt.Fprintf(&b, "hearth_time_to_first_token_seconds_sum %g\nhearth_time_to_first_token_seconds_count %d\n", m.ttftSum, m.ttftCount)
	m.mu.Unlock()

	b.WriteString("# HELP hearth_queue_depth Requests waiting for a slot, by model.\n# TYPE hearth_queue_depth gauge\n")
	var active strings.Builder
	active.WriteString("# HELP hearth_active_requests Requests holding a slot, by model.\n# TYPE hearth_active_requests gauge\n")
	var loaded strings.Builder
	loaded.WriteString("# HELP hearth_model_loaded Whether a model is in memory.\n# TYPE hearth_model_loaded gauge\n")
	var cached strings.Builder
	cached.WriteString("# HELP hearth_prompt_tokens_cached_total Prompt tokens re-used from the KV cache, by model.\n# TYPE hearth_prompt_tokens_cached_total counter\n")
	for _, e := range s.models {
		lm := e.current()
		q, a, c, l := 0, 0, int64(0), 0
		if lm != nil {
			st := lm.sched.Stats()
			q, a, c, l = st.Queued, st.Active, st.CachedTokens, 1
		}
		fmt.Fprintf(&b, "hearth_queue_depth{model=%q} %d\n", e.name, q)
		fmt.Fprintf(&active, "hearth_active_requests{model=%q} %d\n", e.name, a)
		fmt.Fprintf(&loaded, "hearth_model_loaded{model=%q} %d\n", e.name, l)
		fmt.Fprintf(&cached, "hearth_prompt_tokens_cached_total{model=%q} %d\n", e.name, c)
	}
	b.WriteString(active.String())
	b.WriteString(loaded.String())
	b.WriteString(cached.String())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}
