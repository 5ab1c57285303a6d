// Package server is hearth's HTTP API: OpenAI-compatible chat and text
// completions (streamed as server-sent events or not), the Ollama API for
// tools built for it, Prometheus metrics, and a chat page embedded in the
// binary. Requests run on engine schedulers, one per model, so concurrent
// requests share forward passes.
package server

import (
	"crypto/subtle"
	"errors"
	"log"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hearthlm/hearth/engine"
)

// DefaultAddr is where hearth serve listens unless told otherwise.
const DefaultAddr = "127.0.0.1:4327"

// Config configures a Server.
type Config struct {
	// Models are model references as hearth run takes them ("" or "demo"
	// for the built-in demo). The first is the default model.
	Models []string
	// Threads for each model (0: all cores).
	Threads int
	// Slots is the number of concurrent sequences per model (default 4).
	Slots int
	// Ctx is the context of each slot in tokens (default: the planner's
	// choice, engine.SlotContext: the trained context, or the largest
	// power of two below it for which every slot's cache fits in memory).
	Ctx int
	// Queue is how many requests may wait for a slot per model (default 64).
	Queue int
	// APIKey, when set, must come as "Authorization: Bearer KEY" on every
	// route but /health. The chat page at / takes it from a cookie too,
	// which its login form sets (browsers cannot send headers when they
	// navigate); the API routes take headers only, so that no other site
	// can make a browser call them with the cookie.
	APIKey string
	// MaxBodyBytes bounds request bodies (default 8 MiB).
	MaxBodyBytes int64
	// MaxJSONDepth bounds the nesting of request JSON (default 64).
	MaxJSONDepth int
	// LazyLoad defers loading each model to its first request.
	LazyLoad bool
	// IdleUnload unloads a model nobody used for this long (0: never).
	IdleUnload time.Duration
	// Logger for load and error messages (nil: the standard logger).
	Logger *log.Logger
}

// Server serves the API. Create it with New and close it with Close.
type Server struct {
	cfg     Config
	models  []*modelEntry
	metrics *metrics
	mux     *http.ServeMux
	started time.Time

	closeOnce sync.Once
}

// New loads the models (unless LazyLoad is set) and returns a server.
func New(cfg Config) (*Server, error) {
	if len(cfg.Models) == 0 {
		cfg.Models = []string{engine.DemoRef}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.MaxJSONDepth <= 0 {
		cfg.MaxJSONDepth = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = log.Default()
	}
	s := &Server{cfg: cfg, metrics: newMetrics(), started: time.Now()}
	seen := map[string]bool{}
	for _, ref := range cfg.Models {
		e := newModelEntry(s, ref)
		if seen[e.name] {
			return nil, errors.New("server: the model " + e.name + " is given twice")
		}
		seen[e.name] = true
		s.models = append(s.models, e)
	}
	if !cfg.LazyLoad {
		for _, e := range s.models {
			if _, err := e.acquire(); err != nil {
				s.Close()
				return nil, err
			}
			e.release()
		}
	}
	s.routes()
	return s, nil
}

// Close stops the schedulers and unloads the models.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		for _, e := range s.models {
			e.close()
		}
	})
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	mux := http.NewServeMux()
	h := func(pattern, endpoint string, fn http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(endpoint, fn))
	}
	h("POST /v1/chat/completions", "chat", s.handleChat)
	h("POST /v1/completions", "completions", s.handleCompletions)
	h("GET /v1/models", "models", s.handleModels)
	h("GET /v1/models/{id...}", "models", s.handleModel)
	h("GET /health", "health", s.handleHealth)
	h("GET /metrics", "metrics", s.handleMetrics)
	h("POST /api/chat", "ollama_chat", s.handleOllamaChat)
	h("POST /api/generate", "ollama_generate", s.handleOllamaGenerate)
	h("GET /api/tags", "ollama_tags", s.handleOllamaTags)
	h("POST /api/show", "ollama_show", s.handleOllamaShow)
	h("GET /api/version", "ollama_version", s.handleOllamaVersion)
	h("GET /api/ps", "ollama_ps", s.handleOllamaPS)
	h("GET /{$}", "web", s.handleWeb)
	h("/", "not_found", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error",
			Message: "Unknown request URL: " + r.Method + " " + r.URL.Path + "."})
	})
	s.mux = mux
}

// statusWriter records the status code for the metrics and passes Flush on.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap adds authentication, panic recovery, CORS and metrics to a handler.
func (s *Server) wrap(endpoint string, fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		t0 := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.cfg.Logger.Printf("hearth serve: panic in %s %s: %v", r.Method, r.URL.Path, p)
				if sw.status == 0 {
					writeError(sw, errInternal("internal error"))
				}
			}
			s.metrics.request(endpoint, sw.status, time.Since(t0))
		}()
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			sw.WriteHeader(http.StatusNoContent)
			return
		}
		if s.cfg.APIKey != "" && endpoint == "web" && !s.authorized(r) && !s.cookieAuthorized(r) {
			writeLogin(sw)
			return
		}
		if s.cfg.APIKey != "" && endpoint != "health" && endpoint != "web" && !s.authorized(r) {
			writeError(sw, &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
				Message: "Incorrect API key provided. Pass it as \"Authorization: Bearer KEY\"."})
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
		}
		fn(sw, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		key = r.Header.Get("X-Api-Key")
	}
	key = strings.TrimSpace(key)
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1
}

// cookieAuthorized reports whether the request carries the key in the
// cookie the chat page's login form sets.
func (s *Server) cookieAuthorized(r *http.Request) bool {
	c, err := r.Cookie(keyCookie)
	if err != nil {
		return false
	}
	key, err := url.QueryUnescape(c.Value)
	return err == nil && key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}
