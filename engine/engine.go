// Package engine runs a loaded model: it owns the KV cache of a session,
// prefills prompts in batches, decodes token by token with a sampler, and
// streams text as it is generated.
package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/model"
	_ "github.com/hearthlm/hearth/model/llama" // register the architectures
	"github.com/hearthlm/hearth/plan"
	"github.com/hearthlm/hearth/sample"
	"github.com/hearthlm/hearth/tokenizer"
)

// Options for loading a model.
type Options struct {
	Threads int // 0: the physical cores this process may use
	Context int // 0: the largest that fits, up to the trained context
	// KVType is the KV cache type, plan.KVF16 or plan.KVQ8_0; "" takes
	// DefaultKVType, and when that is "" too the planner chooses (f16,
	// or q8_0 when f16 does not fit the context and q8_0 doubles what
	// fits).
	KVType plan.KVType
	// NoPlan skips the memory check (tools that only read the file).
	NoPlan bool
}

// DefaultKVType is the KV cache type of the models loaded with no
// Options.KVType ("": the planner's choice). `hearth serve --kv-type` sets
// it before the server loads its models.
var DefaultKVType plan.KVType

// Model is a GGUF file loaded for inference: weights, tokenizer and chat
// template, all from the same file.
type Model struct {
	File      *gguf.File
	Net       model.Model
	Tokenizer *tokenizer.Tokenizer
	// Templates are the chat templates in the file (none for a plain
	// completion model).
	Templates chat.Templates
	// Machine, Facts and Plan are what the defaults were decided from,
	// and the decision (threads, context, KV type, with reasons).
	Machine plan.Machine
	Facts   plan.ModelFacts
	Plan    plan.Choice

	threads int
}

// Threads is the number of threads the model's forward pass runs on.
func (m *Model) Threads() int { return m.threads }

func fromFile(f *gguf.File, opts Options) (*Model, error) {
	tok, err := tokenizer.FromGGUF(f.Metadata)
	if err != nil {
		return nil, err
	}
	machine := plan.Detect()
	threads := opts.Threads
	if threads <= 0 {
		threads = machine.UsableCores()
	}
	net, err := model.New(f, model.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	if net.Info().Vocab < tok.VocabSize() {
		net.Close()
		return nil, fmt.Errorf("engine: the tokenizer has %d tokens but the model only %d embeddings", tok.VocabSize(), net.Info().Vocab)
	}
	m := &Model{File: f, Net: net, Tokenizer: tok, Machine: machine, threads: threads}
	m.Templates = chat.TemplatesFromGGUF(f.Metadata)
	m.Facts = modelFacts(f, net.Info())
	kv := opts.KVType
	if kv == "" {
		kv = DefaultKVType
	}
	m.Plan, err = plan.Decide(machine, m.Facts, plan.Request{Threads: opts.Threads, Context: opts.Context, KVType: kv})
	if err != nil && !opts.NoPlan {
		net.Close()
		return nil, err
	}
	if m.Plan.KVType == "" {
		m.Plan.KVType = plan.KVF16
	}
	if err := net.SetKVType(model.KVType(m.Plan.KVType)); err != nil {
		net.Close()
		return nil, err
	}
	return m, nil
}

// Close releases the model's threads and the file mapping.
func (m *Model) Close() error {
	m.Net.Close()
	return m.File.Close()
}

// BatchSize is the number of prompt tokens run through one forward pass.
const BatchSize = 512

// Session is one conversation's state: the tokens in its KV cache.
type Session struct {
	m      *Model
	cache  *model.Cache
	tokens []int32 // tokens whose keys and values are in the cache, in order
	batch  model.Batch
}

// NewSession allocates a KV cache of ctx positions, of the planned KV
// type (Plan.KVType). ctx <= 0 uses the planned context (Plan.Context).
func (m *Model) NewSession(ctx int) (*Session, error) {
	if ctx <= 0 {
		ctx = m.Plan.Context
	}
	if ctx <= 0 {
		ctx = m.Net.Info().ContextLength
	}
	c, err := m.Net.NewCache(ctx, 1)
	if err != nil {
		return nil, err
	}
	return &Session{m: m, cache: c}, nil
}

// Context is the session's context size in tokens.
func (s *Session) Context() int { return s.cache.Ctx }

// Tokens are the tokens currently held in the cache.
func (s *Session) Tokens() []int32 { return s.tokens }

// Reset forgets the cached tokens.
func (s *Session) Reset() { s.tokens = s.tokens[:0] }

// ErrContextFull is returned when a prompt does not fit the context.
var ErrContextFull = errors.New("context full")

// Prefill makes the cache hold exactly tokens, reusing the longest cached
// prefix, and returns the logits after the last one.
func (s *Session) Prefill(tokens []int32) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("engine: empty prompt")
	}
	if len(tokens) > s.cache.Ctx {
		return nil, fmt.Errorf("engine: the prompt has %d tokens but the context holds %d (raise --ctx): %w", len(tokens), s.cache.Ctx, ErrContextFull)
	}
	keep := 0
	for keep < len(s.tokens) && keep < len(tokens) && s.tokens[keep] == tokens[keep] {
		keep++
	}
	if keep == len(tokens) {
		keep-- // recompute the last token to get its logits
	}
	s.tokens = s.tokens[:keep]
	var logits []float32
	for start := keep; start < len(tokens); start += BatchSize {
		end := min(start+BatchSize, len(tokens))
		s.batch.Reset()
		for i := start; i < end; i++ {
			s.batch.Add(tokens[i], i, 0, i == len(tokens)-1)
		}
		out, err := s.m.Net.Forward(s.cache, &s.batch)
		if err != nil {
			return nil, err
		}
		s.tokens = append(s.tokens, tokens[start:end]...)
		logits = out
	}
	return logits, nil
}

// Step appends one token and returns the logits that follow it.
func (s *Session) Step(tok int32) ([]float32, error) {
	pos := len(s.tokens)
	if pos >= s.cache.Ctx {
		return nil, fmt.Errorf("engine: all %d positions of the context are used: %w", s.cache.Ctx, ErrContextFull)
	}
	s.batch.Reset()
	s.batch.Add(tok, pos, 0, true)
	out, err := s.m.Net.Forward(s.cache, &s.batch)
	if err != nil {
		return nil, err
	}
	s.tokens = append(s.tokens, tok)
	return out, nil
}

// GenerateOptions control one generation.
type GenerateOptions struct {
	MaxTokens int // <= 0: until end of generation or the context is full
	Sampling  sample.Params
	// Stop ends generation when the text contains one of these strings.
	Stop []string
}

// StopReason says why generation ended.
type StopReason string

// The stop reasons.
const (
	StopEOG      StopReason = "eog"       // the model emitted an end-of-generation token
	StopLength   StopReason = "length"    // MaxTokens reached
	StopContext  StopReason = "context"   // the context is full
	StopCanceled StopReason = "cancelled" // the context.Context was cancelled
	StopString   StopReason = "stop"      // a stop string appeared
)

// Result describes a finished generation.
type Result struct {
	Tokens       []int32
	Reason       StopReason
	PromptTokens int
	PromptTime   time.Duration
	GenTime      time.Duration
}

// Generate prefills the prompt and samples up to MaxTokens tokens, calling
// emit with each piece of completed text as soon as it is known.
func (s *Session) Generate(ctx context.Context, prompt []int32, o GenerateOptions, emit func(text string)) (Result, error) {
	var r Result
	t0 := time.Now()
	logits, err := s.Prefill(prompt)
	if err != nil {
		return r, err
	}
	r.PromptTokens = len(prompt)
	r.PromptTime = time.Since(t0)
	t1 := time.Now()
	smp := sample.New(o.Sampling)
	dec := s.m.Tokenizer.NewStreamDecoder()
	st := stopper{stops: o.Stop, emit: emit}
	started := false
	for {
		if ctx.Err() != nil {
			r.Reason = StopCanceled
			break
		}
		tok := smp.Sample(logits, s.tokens)
		if s.m.Tokenizer.IsEOG(tok) {
			r.Reason = StopEOG
			break
		}
		r.Tokens = append(r.Tokens, tok)
		piece := dec.Push(tok)
		if !started && piece != "" {
			// Like llama.cpp's detokenizer, the continuation's text does
			// not start with the space a SentencePiece vocabulary puts in
			// front of a word.
			started = true
			if piece[0] == ' ' && !strings.HasPrefix(s.m.Tokenizer.Decode(r.Tokens), " ") {
				piece = piece[1:]
			}
		}
		if st.push(piece) {
			r.Reason = StopString
			break
		}
		if o.MaxTokens > 0 && len(r.Tokens) >= o.MaxTokens {
			r.Reason = StopLength
			break
		}
		if len(s.tokens) >= s.cache.Ctx {
			r.Reason = StopContext
			break
		}
		if logits, err = s.Step(tok); err != nil {
			return r, err
		}
	}
	if r.Reason != StopString {
		st.push(dec.Flush())
		st.flush()
	}
	r.GenTime = time.Since(t1)
	return r, nil
}

// stopper passes text through to emit, holding back any tail that could
// be the start of a stop string, and reports when a stop string appears.
type stopper struct {
	stops   []string
	emit    func(string)
	pending string
}

func (st *stopper) push(piece string) bool {
	if piece == "" {
		return false
	}
	if len(st.stops) == 0 {
		st.emit(piece)
		return false
	}
	st.pending += piece
	cut := -1
	for _, s := range st.stops {
		if s == "" {
			continue
		}
		if i := strings.Index(st.pending, s); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		if cut > 0 {
			st.emit(st.pending[:cut])
		}
		st.pending = ""
		return true
	}
	// Keep the longest suffix that is a prefix of some stop string.
	hold := 0
	for _, s := range st.stops {
		for n := min(len(s)-1, len(st.pending)); n > hold; n-- {
			if strings.HasSuffix(st.pending, s[:n]) {
				hold = n
				break
			}
		}
	}
	if out := st.pending[:len(st.pending)-hold]; out != "" {
		st.emit(out)
	}
	st.pending = st.pending[len(st.pending)-hold:]
	return false
}

func (st *stopper) flush() {
	if st.pending != "" {
		st.emit(st.pending)
		st.pending = ""
	}
}
