package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/sample"
)

// genRequest is a generation the API endpoints share: n choices for each
// prompt.
type genRequest struct {
	prompts     [][]int32
	n           int
	maxTokens   int
	sampling    sample.Params
	seeded      bool // Sampling.Seed was given by the client
	stop        []string
	logprobs    bool
	topLogprobs int
	// format splits chat replies into content, reasoning and tool calls;
	// nil passes the text through.
	format *chat.Format
	// constraint makes a fresh constraint per choice (nil: none).
	constraint func() engine.Constraint
	param      string // the request field holding the prompt, for errors
	keepSpace  bool   // text completions: keep the first word's leading space
}

// choiceEvent is output of one choice: deltas while it runs, then one
// final event.
type choiceEvent struct {
	index     int
	content   string
	reasoning string
	calls     []chat.ToolCall
	tokens    []engine.TokenInfo

	final bool
	res   engine.Result
	reply chat.Reply // the whole parsed reply, with final
	raw   string     // the whole generated text, with final
	err   error
}

// generation is a running genRequest.
type generation struct {
	jobs    []*engine.Job
	prompts []int // prompt tokens per choice
	events  chan choiceEvent
	cancel  context.CancelFunc
	t0      time.Time
}

func randomSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// start submits every choice; an error (context too small, queue full)
// comes before any is run, so that the handler can still answer with a
// status code.
func (s *Server) start(ctx context.Context, lm *loadedModel, g *genRequest) (*generation, error) {
	ctx, cancel := context.WithCancel(ctx)
	gen := &generation{cancel: cancel, t0: time.Now()}
	n := max(g.n, 1)
	for pi, p := range g.prompts {
		for i := range n {
			sp := g.sampling
			if !g.seeded {
				sp.Seed = randomSeed()
			} else {
				sp.Seed += uint64(pi*n + i)
			}
			req := engine.Request{Prompt: p, MaxTokens: g.maxTokens, Sampling: sp, Stop: g.stop,
				Logprobs: g.logprobs, TopLogprobs: g.topLogprobs, KeepLeadingSpace: g.keepSpace}
			if g.constraint != nil {
				req.Constraint = g.constraint()
			}
			j, err := lm.sched.Submit(ctx, req)
			if err != nil {
				cancel()
				for _, j := range gen.jobs {
					j.Result()
				}
				return nil, engineError(err, g.param)
			}
			gen.jobs = append(gen.jobs, j)
			gen.prompts = append(gen.prompts, len(p))
		}
	}
	gen.events = make(chan choiceEvent, 16*len(gen.jobs))
	for i, j := range gen.jobs {
		go s.follow(i, j, g.format, gen.events)
	}
	return gen, nil
}

// follow reads one job's output into events.
func (s *Server) follow(index int, j *engine.Job, f *chat.Format, out chan<- choiceEvent) {
	var parser *chat.ReplyParser
	if f != nil {
		parser = chat.NewReplyParser(*f)
	}
	var raw strings.Builder
	for {
		c, ok := j.Next()
		if !ok {
			break
		}
		raw.WriteString(c.Text)
		ev := choiceEvent{index: index, tokens: c.Tokens}
		if parser != nil {
			if d, err := parser.Push(c.Text); err == nil {
				ev.content, ev.reasoning, ev.calls = d.Content, d.Reasoning, d.ToolCalls
			}
		} else {
			ev.content = c.Text
		}
		if ev.content != "" || ev.reasoning != "" || len(ev.calls) > 0 || len(ev.tokens) > 0 {
			out <- ev
		}
	}
	res, err := j.Result()
	s.metrics.generation(res.PromptTokens, len(res.Tokens), j.TimeToFirstToken(), res.GenTime)
	ev := choiceEvent{index: index, final: true, res: res, err: err, raw: raw.String()}
	if parser != nil {
		reply, d, perr := parser.Finish()
		if perr != nil {
			reply = chat.Reply{Content: raw.String()}
		} else {
			ev.content, ev.reasoning, ev.calls = d.Content, d.Reasoning, d.ToolCalls
		}
		ev.reply = reply
	} else {
		ev.reply = chat.Reply{Content: raw.String()}
	}
	for i := range ev.reply.ToolCalls {
		if ev.reply.ToolCalls[i].ID == "" {
			ev.reply.ToolCalls[i].ID = newID("call_")
		}
	}
	out <- ev
}

// each calls fn with every event until all choices have ended. Once fn
// returns false (the client went away) the choices are cancelled and the
// rest is drained.
func (g *generation) each(fn func(choiceEvent) bool) {
	left := len(g.jobs)
	ok := true
	for left > 0 {
		ev := <-g.events
		if ev.final {
			left--
		}
		if ok && !fn(ev) {
			ok = false
			g.cancel()
		}
	}
	g.cancel()
}

// finishReason maps a stop reason to OpenAI's finish_reason.
func finishReason(r engine.StopReason, calls int) string {
	switch r {
	case engine.StopLength, engine.StopContext:
		return "length"
	}
	if calls > 0 {
		return "tool_calls"
	}
	return "stop"
}

// sse writes server-sent events.
type sse struct {
	w       http.ResponseWriter
	started bool
	failed  bool
}

func (e *sse) start() {
	if e.started {
		return
	}
	e.started = true
	h := e.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	e.w.WriteHeader(http.StatusOK)
}

func (e *sse) data(b []byte) bool {
	e.start()
	if e.failed {
		return false
	}
	if _, err := e.w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
		e.failed = true
		return false
	}
	if f, ok := e.w.(http.Flusher); ok {
		f.Flush()
	}
	return true
}
