package server

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
)

// modelEntry is one model the server offers: loaded on first use (or at
// start), unloaded when idle if the server is told to.
type modelEntry struct {
	s       *Server
	ref     string
	name    string
	created time.Time

	mu       sync.Mutex
	loaded   *loadedModel
	users    int
	lastUsed time.Time
	timer    *time.Timer
	closed   bool
}

// loadedModel is a model with its scheduler and what the server derives
// from its templates.
type loadedModel struct {
	m        *engine.Model
	sched    *engine.Scheduler
	loadTime time.Duration
	// formats by whether tools are offered (the template may differ).
	formats [2]*chat.Format

	piecesOnce sync.Once
	pieces     [][]byte
}

// modelName is the name a reference is offered under: "demo" for the
// built-in model, a file's base name without .gguf, a Hub reference as is.
func modelName(ref string) string {
	if ref == "" || ref == engine.DemoRef {
		return engine.DemoRef
	}
	if strings.HasSuffix(strings.ToLower(ref), ".gguf") {
		return strings.TrimSuffix(filepath.Base(ref), filepath.Ext(ref))
	}
	return ref
}

func newModelEntry(s *Server, ref string) *modelEntry {
	return &modelEntry{s: s, ref: ref, name: modelName(ref), created: time.Now()}
}

// matches reports whether a request's model field names this entry.
func (e *modelEntry) matches(name string) bool {
	if name == e.name || name == e.ref {
		return true
	}
	// Ollama clients append a tag.
	if base, tag, ok := strings.Cut(name, ":"); ok && tag == "latest" && base == e.name {
		return true
	}
	return false
}

// acquire loads the model if needed and marks it in use; release ends the use.
func (e *modelEntry) acquire() (*loadedModel, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, engineError(engine.ErrClosed, "")
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	if e.loaded == nil {
		t0 := time.Now()
		m, err := engine.Load(e.ref, engine.Options{Threads: e.s.cfg.Threads})
		if err != nil {
			return nil, errInternal(fmt.Sprintf("loading the model %s: %v", e.name, err))
		}
		sched, err := engine.NewScheduler(m, engine.SchedulerOptions{Slots: e.s.cfg.Slots, Ctx: e.s.cfg.Ctx, Queue: e.s.cfg.Queue})
		if err != nil {
			m.Close()
			return nil, errInternal(fmt.Sprintf("starting the model %s: %v", e.name, err))
		}
		lm := &loadedModel{m: m, sched: sched, loadTime: time.Since(t0)}
		for i, tools := range []bool{false, true} {
			if src, err := m.Templates.Pick("", tools); err == nil {
				if t, err := chat.Parse(src); err == nil {
					f := chat.DetectFormat(t)
					lm.formats[i] = &f
				}
			}
		}
		e.loaded = lm
		o := sched.Options()
		e.s.cfg.Logger.Printf("hearth serve: loaded %s in %v (%d slots of %d tokens)", e.name, lm.loadTime.Round(time.Millisecond), o.Slots, o.Ctx)
	}
	e.users++
	return e.loaded, nil
}

func (e *modelEntry) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.users--
	e.lastUsed = time.Now()
	if e.users == 0 && e.s.cfg.IdleUnload > 0 && e.loaded != nil && !e.closed {
		e.timer = time.AfterFunc(e.s.cfg.IdleUnload, e.unloadIfIdle)
	}
}

func (e *modelEntry) unloadIfIdle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users > 0 || e.loaded == nil || time.Since(e.lastUsed) < e.s.cfg.IdleUnload {
		return
	}
	e.unloadLocked()
	e.s.cfg.Logger.Printf("hearth serve: unloaded %s after %v idle", e.name, e.s.cfg.IdleUnload)
}

func (e *modelEntry) unloadLocked() {
	if e.loaded != nil {
		e.loaded.sched.Close()
		e.loaded.m.Close()
		e.loaded = nil
	}
}

func (e *modelEntry) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	if e.timer != nil {
		e.timer.Stop()
	}
	e.unloadLocked()
}

// isLoaded reports whether the model is in memory now.
func (e *modelEntry) current() *loadedModel {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loaded
}

// lookup finds the model a request names; "" picks the first.
func (s *Server) lookup(name string) (*modelEntry, error) {
	if name == "" {
		return s.models[0], nil
	}
	for _, e := range s.models {
		if e.matches(name) {
			return e, nil
		}
	}
	return nil, errModelNotFound(name)
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	data := []any{}
	for _, e := range s.models {
		data = append(data, modelObject(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	e, err := s.lookup(r.PathValue("id"))
	if err != nil || r.PathValue("id") == "" {
		writeError(w, errModelNotFound(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, modelObject(e))
}

func modelObject(e *modelEntry) map[string]any {
	return map[string]any{"id": e.name, "object": "model", "created": e.created.Unix(), "owned_by": "hearth"}
}
