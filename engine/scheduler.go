package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/plan"
	"github.com/hearthlm/hearth/sample"
)

// The scheduler serves many generations over one model with continuous
// batching. It owns a KV cache of Slots sequences; each running request
// holds one slot. One goroutine runs the loop: between two forward passes
// it admits queued requests into free slots, and every forward pass carries
// one token for each decoding sequence, all of them in one batch, plus
// pieces of the prompts still being prefilled. While some sequence decodes,
// a pass takes one prompt piece, so a long prompt delays the others' next
// tokens by a bounded amount of work per step instead of stalling them for
// its whole prefill. A sequence's numbers are the ones it gets alone,
// whatever else runs: its prompt is cut into the same pieces whatever the
// load (see prefillPiece), and the model computes each sequence's rows of a
// pass as it computes them in a pass of their own (model.Order, and the
// attention path chosen per sequence). A slot remembers the tokens
// in its cells, and a request is put into a free slot whose cache it
// continues, so a conversation's next turn re-uses the cached prompt.

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Slots int // concurrent sequences (default 4)
	// Ctx is the context of each slot in tokens (default: the model's
	// trained context, at most 4096).
	Ctx int
	// Queue is how many requests may wait for a slot (default 64); more
	// are refused with ErrQueueFull.
	Queue int
	// BatchTokens bounds the tokens of one forward pass (default BatchSize).
	BatchTokens int
	// PrefillChunk is the size of the pieces prompts are prefilled in
	// (default DefaultPrefillChunk; rounded down to a multiple of four, and
	// below kernels.TiledMinRows to at most half of it); a
	// pass that carries decoding sequences takes one piece. On a CPU a
	// pass costs about the same per token whether the token is a prompt's
	// or a decode's, so this is how much longer than a plain decode step a
	// step may take while a new request's prompt is prefilled. From
	// kernels.TiledMinRows on, prompts of that many tokens or more take
	// ggml's tiled attention, as a Session's prefill does.
	PrefillChunk int
}

// DefaultPrefillChunk is the default SchedulerOptions.PrefillChunk.
const DefaultPrefillChunk = kernels.TiledMinRows

// prefillPiece is how many of a prompt's rest tokens the next pass takes:
// piece tokens (a multiple of four), or all of them when fewer than two
// pieces are left, so that a prompt is cut the same way under any load and
// its last piece is not shorter than the others. A prefill starts at a
// multiple of four (Scheduler.start), so every row of every piece gets the
// numbers it gets alone: ggml's four-token groups fall on the same tokens,
// no piece is a lone token unless the prompt is (ggml multiplies one token
// by other kernels than a batch), and a piece's attention path (one-chunk,
// or tiled from kernels.TiledMinRows rows) is the same in every run. With
// pieces of kernels.TiledMinRows or more, a prompt shorter than two pieces
// is computed as in one pass of the whole prompt (a Session's prefill).
func prefillPiece(rest, piece int) int {
	if rest < 2*piece {
		return rest
	}
	return piece
}

// ErrQueueFull is returned by Submit when the wait queue is full.
var ErrQueueFull = errors.New("engine: too many requests are waiting")

// ErrClosed is returned for requests submitted to, or running in, a closed
// scheduler.
var ErrClosed = errors.New("engine: the scheduler is closed")

// ContextError says a request does not fit the context. It matches
// ErrContextFull with errors.Is.
type ContextError struct {
	Prompt    int // prompt tokens
	MaxTokens int // tokens asked to generate (0: not given)
	Ctx       int // context of a slot
}

func (e *ContextError) Error() string {
	if e.MaxTokens > 0 && e.Prompt < e.Ctx {
		return fmt.Sprintf("this model's context holds %d tokens, but %d were requested (%d in the prompt, %d to generate)",
			e.Ctx, e.Prompt+e.MaxTokens, e.Prompt, e.MaxTokens)
	}
	return fmt.Sprintf("this model's context holds %d tokens, but the prompt has %d", e.Ctx, e.Prompt)
}

// Is makes errors.Is(err, ErrContextFull) true.
func (e *ContextError) Is(target error) bool { return target == ErrContextFull }

// Constraint restricts which tokens may be sampled (grammars, JSON
// schemas). The scheduler calls Mask with the logits of each step before
// sampling, then Accept with the chosen token.
type Constraint interface {
	// Mask sets the logits of forbidden tokens to -Inf.
	Mask(logits []float32)
	// Accept advances the constraint past tok. Done reports whether the
	// constrained output is complete; generation then ends with StopEOG.
	Accept(tok int32) (done bool)
}

// Request is one generation.
type Request struct {
	Prompt    []int32
	MaxTokens int // <= 0: until end of generation or the context is full
	Sampling  sample.Params
	Stop      []string // generation ends before the first of these strings
	// TopLogprobs > 0 reports that many alternatives per token; Logprobs
	// reports the chosen token's log-probability.
	Logprobs    bool
	TopLogprobs int
	Constraint  Constraint // nil: none
	// KeepLeadingSpace keeps the space a SentencePiece vocabulary puts in
	// front of the first word, so that prompt + output is the whole text
	// (text completions). By default it is dropped, as Session.Generate
	// and llama.cpp's detokenizer do.
	KeepLeadingSpace bool
}

// TokenProb is a token with its log-probability.
type TokenProb struct {
	ID      int32
	Text    string
	Logprob float32
}

// TokenInfo describes one generated token.
type TokenInfo struct {
	TokenProb
	Top []TokenProb // the most likely alternatives, with Request.TopLogprobs
}

// Chunk is output a job produced since the last read: Text is the text
// (stop strings removed); Tokens the tokens sampled, with log-probabilities
// when asked.
type Chunk struct {
	Text   string
	Tokens []TokenInfo
}

// Job is a submitted request.
type Job struct {
	ctx context.Context
	req Request

	mu      sync.Mutex
	text    []byte // text not read yet
	toks    []TokenInfo
	done    bool
	res     Result
	err     error
	notify  chan struct{}
	stopCtx func() bool

	submitted time.Time
	firstTok  time.Time
}

// Next blocks until the job has output or has ended, and returns all the
// output not read yet. ok is false once the job has ended and all its
// output was read; then Result says how it ended.
func (j *Job) Next() (c Chunk, ok bool) {
	for {
		j.mu.Lock()
		if len(j.text) > 0 || len(j.toks) > 0 {
			c = Chunk{Text: string(j.text), Tokens: j.toks}
			j.text, j.toks = j.text[:0], nil
			j.mu.Unlock()
			return c, true
		}
		if j.done {
			j.mu.Unlock()
			return Chunk{}, false
		}
		j.mu.Unlock()
		<-j.notify
	}
}

// Result waits for the job to end and returns how it ended. Output not read
// with Next is discarded.
func (j *Job) Result() (Result, error) {
	for {
		j.mu.Lock()
		if j.done {
			defer j.mu.Unlock()
			return j.res, j.err
		}
		j.mu.Unlock()
		<-j.notify
	}
}

// TimeToFirstToken is the time from Submit to the first sampled token
// (zero before it).
func (j *Job) TimeToFirstToken() time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.firstTok.IsZero() {
		return 0
	}
	return j.firstTok.Sub(j.submitted)
}

func (j *Job) wake() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}

// emit hands output to the reader. first, when not zero, is the time of
// the first sampled token. It wakes the reader only when there is output.
func (j *Job) emit(text []byte, tok *TokenInfo, first time.Time) {
	j.mu.Lock()
	if !first.IsZero() && j.firstTok.IsZero() {
		j.firstTok = first
	}
	j.text = append(j.text, text...)
	if tok != nil {
		j.toks = append(j.toks, *tok)
	}
	out := len(text) > 0 || tok != nil
	j.mu.Unlock()
	if out {
		j.wake()
	}
}

func (j *Job) finish(r Result, err error) {
	if j.stopCtx != nil {
		j.stopCtx()
	}
	j.mu.Lock()
	j.done, j.res, j.err = true, r, err
	j.mu.Unlock()
	j.wake()
}

// SchedulerStats are counters for monitoring.
type SchedulerStats struct {
	Slots, Active, Queued int
	PromptTokens          int64 // prompt tokens computed (not counting re-used prefixes)
	CachedTokens          int64 // prompt tokens re-used from a slot's cache
	GeneratedTokens       int64
	Steps                 int64 // forward passes
	Requests              int64 // finished requests
	// DecodeSteps are the forward passes that carried decoding sequences
	// and DecodeTokens those sequences' tokens summed over the passes:
	// DecodeTokens/DecodeSteps is the mean decode batch. MaxDecodeBatch
	// is the most sequences one pass decoded.
	DecodeSteps, DecodeTokens int64
	MaxDecodeBatch            int
}

// Scheduler runs requests on one model with continuous batching.
type Scheduler struct {
	m     *Model
	net   model.Model
	cache *model.Cache
	opts  SchedulerOptions
	vocab int

	mu     sync.Mutex
	queue  []*Job
	closed bool
	stats  SchedulerStats
	wakeCh chan struct{}
	doneCh chan struct{}

	slots []*slot
	batch model.Batch
	clock int64
	// per-step scratch, reused so that a step allocates nothing
	order []*slot // slots in the order of their logits rows
	pre   []*slot // slots still prefilling
	free  []*slot // slots without a job
	// counters of the current step, added to stats once per step
	genCount int64
	// stepHook, when set (by tests, before the loop starts), is called
	// after each forward pass with its decode and prompt tokens and the
	// number of sequences it carried.
	stepHook func(decode, prompt, seqs int)
}

type slot struct {
	idx    int
	tokens []int32 // tokens whose keys and values are in the slot's cells
	// prompted is how many leading cells were computed as prompt pieces
	// (prefillPiece), which a later prompt may re-use with the numbers a
	// fresh prefill gives; generated tokens after them are not re-used.
	prompted int
	used     int64 // clock of the last use, for least-recently-used choice

	job      *Job
	prompt   []int32 // the job's prompt
	prefill  int     // prompt tokens in the cache so far
	next     int32   // sampled token to feed, when decoding
	decoding bool
	chunk    int // prompt tokens in the current forward pass
	smp      *sample.Sampler
	dec      *streamText
	gen      []int32
	scratch  []float32
	out      []byte // text to emit after this step
	res      Result
	t0, t1   time.Time
}

// SlotContext is the default context of each of slots sequences: the
// largest of the model's trained context and the powers of two below it
// (down to 256) for which the planner finds room for all the slots' KV
// caches together on this machine. Without a plan (a model loaded with
// NoPlan) it is the planned or trained context, at most 4096.
func SlotContext(m *Model, slots int) int {
	slots = max(slots, 1)
	trained := m.Net.Info().ContextLength
	if trained <= 0 {
		trained = 2048
	}
	if m.Plan.Context <= 0 || m.Machine.UsableRAM() == 0 {
		return min(trained, 4096)
	}
	cands := []int{trained}
	for p := 1 << 30; p >= 256; p >>= 1 {
		if p < trained {
			cands = append(cands, p)
		}
	}
	for _, c := range cands {
		if _, err := plan.Decide(m.Machine, m.Facts, plan.Request{Threads: m.threads, Context: slots * c, KVType: m.Plan.KVType}); err == nil {
			return c
		}
	}
	// Not even 256 tokens each fit: the planner's own context, shared out.
	return max(m.Plan.Context/slots, min(256, m.Plan.Context))
}

// NewScheduler starts a scheduler over m. Close stops it. Nothing else may
// run m.Net while the scheduler is open.
func NewScheduler(m *Model, o SchedulerOptions) (*Scheduler, error) {
	s, err := newScheduler(m, o)
	if err != nil {
		return nil, err
	}
	go s.loop()
	return s, nil
}

// newScheduler is NewScheduler without starting the loop.
func newScheduler(m *Model, o SchedulerOptions) (*Scheduler, error) {
	if o.Slots <= 0 {
		o.Slots = 4
	}
	if o.Ctx <= 0 {
		o.Ctx = SlotContext(m, o.Slots)
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.BatchTokens <= 0 {
		o.BatchTokens = BatchSize
	}
	if o.PrefillChunk <= 0 {
		o.PrefillChunk = DefaultPrefillChunk
	}
	o.PrefillChunk = max(4, o.PrefillChunk/4*4)
	if o.PrefillChunk < kernels.TiledMinRows {
		// Pieces then stay below the tiled path's rows (a last piece
		// has up to 2·PrefillChunk-1), so every piece takes the
		// one-chunk path in every run.
		o.PrefillChunk = min(o.PrefillChunk, kernels.TiledMinRows/2)
	}
	// A piece (up to 2·PrefillChunk-1 tokens) must fit next to the other
	// slots' decodes.
	o.BatchTokens = max(o.BatchTokens, o.Slots+2*o.PrefillChunk)
	c, err := m.Net.NewCache(o.Ctx, o.Slots)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{m: m, net: m.Net, cache: c, opts: o, vocab: m.Net.Info().Vocab,
		wakeCh: make(chan struct{}, 1), doneCh: make(chan struct{})}
	for i := range o.Slots {
		s.slots = append(s.slots, &slot{idx: i})
	}
	s.stats.Slots = o.Slots
	return s, nil
}

// Options returns the options in effect (defaults filled in).
func (s *Scheduler) Options() SchedulerOptions { return s.opts }

// Context is the context of one slot in tokens.
func (s *Scheduler) Context() int { return s.opts.Ctx }

// Model is the model the scheduler runs.
func (s *Scheduler) Model() *Model { return s.m }

// Stats returns the current counters.
func (s *Scheduler) Stats() SchedulerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Check validates a request without submitting it: the prompt must be
// non-empty, hold only ids of the vocabulary, and fit the context with
// MaxTokens.
func (s *Scheduler) Check(r *Request) error {
	if len(r.Prompt) == 0 {
		return fmt.Errorf("engine: empty prompt")
	}
	for _, t := range r.Prompt {
		if t < 0 || int(t) >= s.vocab {
			return fmt.Errorf("engine: token %d is outside the vocabulary of %d", t, s.vocab)
		}
	}
	if r.Sampling.RepeatLastN < -1 {
		return fmt.Errorf("engine: repeat-last-n %d: want -1 (all) or more", r.Sampling.RepeatLastN)
	}
	ctx := s.opts.Ctx
	if len(r.Prompt) >= ctx || (r.MaxTokens > 0 && len(r.Prompt)+r.MaxTokens > ctx) {
		return &ContextError{Prompt: len(r.Prompt), MaxTokens: max(r.MaxTokens, 0), Ctx: ctx}
	}
	return nil
}

// Submit queues a request. Cancelling ctx ends it (StopCanceled). It fails
// with a *ContextError when the request does not fit, ErrQueueFull when
// too many requests wait, ErrClosed after Close.
func (s *Scheduler) Submit(ctx context.Context, r Request) (*Job, error) {
	if err := s.Check(&r); err != nil {
		return nil, err
	}
	if r.TopLogprobs > 0 {
		r.Logprobs = true
	}
	j := &Job{ctx: ctx, req: r, notify: make(chan struct{}, 1), submitted: time.Now()}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if len(s.queue) >= s.opts.Queue {
		s.mu.Unlock()
		return nil, ErrQueueFull
	}
	s.queue = append(s.queue, j)
	s.stats.Queued = len(s.queue)
	s.mu.Unlock()
	j.stopCtx = context.AfterFunc(ctx, s.wake)
	s.wake()
	return j, nil
}

// Close ends all jobs with ErrClosed and stops the loop. It does not close
// the model.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.wake()
	<-s.doneCh
}

func (s *Scheduler) wake() {
	select {
	case s.wakeCh <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop() {
	defer close(s.doneCh)
	for {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			s.shutdown()
			return
		}
		s.dropCanceled()
		s.admit()
		if !s.step() {
			<-s.wakeCh
			continue
		}
		// Let the goroutines that deliver this step's tokens (HTTP
		// streams) run now rather than preempt a thread of the next
		// forward pass, where the others would wait for it.
		runtime.Gosched()
	}
}

func (s *Scheduler) shutdown() {
	s.mu.Lock()
	q := s.queue
	s.queue = nil
	s.stats.Queued = 0
	s.mu.Unlock()
	for _, j := range q {
		j.finish(Result{}, ErrClosed)
	}
	for _, sl := range s.slots {
		if sl.job != nil {
			s.release(sl, StopCanceled, ErrClosed)
		}
	}
}

// dropCanceled ends the queued and running jobs whose context is done.
func (s *Scheduler) dropCanceled() {
	var gone []*Job
	s.mu.Lock()
	q := s.queue[:0]
	for _, j := range s.queue {
		if j.ctx.Err() != nil {
			gone = append(gone, j)
		} else {
			q = append(q, j)
		}
	}
	clear(s.queue[len(q):])
	s.queue = q
	s.stats.Queued = len(q)
	s.mu.Unlock()
	for _, j := range gone {
		j.finish(Result{Reason: StopCanceled, PromptTokens: len(j.req.Prompt)}, nil)
	}
	for _, sl := range s.slots {
		if sl.job != nil && sl.job.ctx.Err() != nil {
			s.release(sl, StopCanceled, nil)
		}
	}
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// admit moves queued jobs into free slots (pickSlot).
func (s *Scheduler) admit() {
	for {
		free := s.free[:0]
		for _, sl := range s.slots {
			if sl.job == nil {
				free = append(free, sl)
			}
		}
		s.free = free
		if len(free) == 0 {
			return
		}
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.stats.Queued = len(s.queue)
		s.stats.Active++
		s.mu.Unlock()

		best, n := pickSlot(free, j.req.Prompt)
		s.start(best, j, n)
	}
}

// pickSlot chooses the free slot for a prompt and returns it with the
// length of the prefix it already holds. A slot whose cache the prompt
// mostly continues (the common prefix is at least half of the slot's
// tokens or of the prompt) is taken, the longest such prefix first;
// otherwise an empty slot, else the least recently used one. So a new
// conversation does not evict another's cache for the few tokens of chat
// template they share.
func pickSlot(free []*slot, prompt []int32) (*slot, int) {
	var best *slot
	bestN := 0
	for _, sl := range free {
		n := commonPrefix(sl.tokens, prompt)
		if n == 0 || (2*n < len(sl.tokens) && 2*n < len(prompt)) {
			continue
		}
		if n > bestN || (n == bestN && sl.used < best.used) {
			best, bestN = sl, n
		}
	}
	if best != nil {
		return best, bestN
	}
	for _, sl := range free {
		if best == nil || evictBefore(sl, best) {
			best = sl
		}
	}
	return best, commonPrefix(best.tokens, prompt)
}

// evictBefore reports whether slot a's cache is to be given up before b's:
// an empty slot first, then the least recently used.
func evictBefore(a, b *slot) bool {
	if ea, eb := len(a.tokens) == 0, len(b.tokens) == 0; ea != eb {
		return ea
	}
	return a.used < b.used
}

func (s *Scheduler) start(sl *slot, j *Job, keep int) {
	// Re-use only cells that were computed as prompt rows, up to a
	// multiple of four, and recompute at least two tokens, and at least
	// kernels.TiledMinRows when the prompt has that many: the prefill then
	// computes every row as a fresh prefill of the whole prompt does (ggml's
	// four-token groups on the same tokens, no lone last row, the same
	// attention path; see prefillPiece), so the output does not depend on
	// what was cached. A cached reply (decoded one token at a time) is
	// computed again.
	keep = min(keep, sl.prompted)
	need := 2
	if len(j.req.Prompt) >= kernels.TiledMinRows {
		need = kernels.TiledMinRows
	}
	keep = max(0, min(keep, len(j.req.Prompt)-need)) &^ 3
	s.clock++
	sl.used = s.clock
	sl.tokens = sl.tokens[:keep]
	sl.prompted = keep
	sl.job = j
	sl.prompt = j.req.Prompt
	sl.prefill = keep
	sl.decoding = false
	sl.smp = sample.New(j.req.Sampling)
	sl.dec = newStreamText(s.m, j.req.Stop, func(t string) { sl.out = append(sl.out, t...) })
	sl.dec.started = j.req.KeepLeadingSpace
	sl.gen = sl.gen[:0]
	sl.res = Result{PromptTokens: len(j.req.Prompt)}
	sl.t0 = time.Now()
	s.mu.Lock()
	s.stats.CachedTokens += int64(keep)
	s.mu.Unlock()
}

// release ends a slot's job. The slot keeps its cached tokens.
func (s *Scheduler) release(sl *slot, reason StopReason, err error) {
	j := sl.job
	if j == nil {
		return
	}
	if err == nil && reason != StopString {
		sl.dec.flush()
	}
	if len(sl.out) > 0 {
		j.emit(sl.out, nil, time.Time{})
		sl.out = sl.out[:0]
	}
	sl.res.Reason = reason
	sl.res.Tokens = append([]int32(nil), sl.gen...)
	if !sl.t1.IsZero() {
		sl.res.GenTime = time.Since(sl.t1)
	} else {
		sl.res.PromptTime = time.Since(sl.t0)
	}
	sl.job = nil
	sl.smp = nil
	sl.dec = nil
	s.mu.Lock()
	s.stats.Active--
	s.stats.Requests++
	s.mu.Unlock()
	j.finish(sl.res, err)
}

// step runs one forward pass over the active slots; it reports false when
// there was nothing to do. Every decoding sequence gets its next token in
// this pass: they all go through the model as one batch.
func (s *Scheduler) step() bool {
	b := &s.batch
	b.Reset()
	order := s.order[:0]
	decoding := 0
	for _, sl := range s.slots {
		sl.chunk = 0
		if sl.job != nil && sl.decoding {
			decoding++
		}
	}
	// Prompt pieces first, oldest job first: the rows model.Order puts
	// first are then already there, and the batch needs no reordering.
	piece := s.opts.PrefillChunk
	budget := s.opts.BatchTokens - decoding
	if decoding > 0 {
		budget = min(budget, 2*piece-1)
	}
	pre := s.pre[:0]
	for _, sl := range s.slots {
		if sl.job != nil && !sl.decoding {
			pre = append(pre, sl)
		}
	}
	for i := 1; i < len(pre); i++ { // insertion sort by submit time; few slots
		for k := i; k > 0 && pre[k].job.submitted.Before(pre[k-1].job.submitted); k-- {
			pre[k], pre[k-1] = pre[k-1], pre[k]
		}
	}
	prompt, seqs := 0, decoding
	for _, sl := range pre {
		n := prefillPiece(len(sl.prompt)-sl.prefill, piece)
		if n > budget {
			break
		}
		for i := sl.prefill; i < sl.prefill+n; i++ {
			last := i == len(sl.prompt)-1
			b.Add(sl.prompt[i], i, sl.idx, last)
			if last {
				order = append(order, sl)
			}
		}
		sl.chunk = n
		budget -= n
		prompt += n
		seqs++
	}
	for _, sl := range s.slots {
		if sl.job != nil && sl.decoding {
			b.Add(sl.next, len(sl.tokens), sl.idx, true)
			order = append(order, sl)
		}
	}
	clear(pre)
	s.pre = pre[:0]
	s.order = order
	if b.Len() == 0 {
		return false
	}
	logits, err := s.net.Forward(s.cache, b)
	s.mu.Lock()
	s.stats.Steps++
	if decoding > 0 {
		s.stats.DecodeSteps++
		s.stats.DecodeTokens += int64(decoding)
		s.stats.MaxDecodeBatch = max(s.stats.MaxDecodeBatch, decoding)
	}
	if err == nil {
		s.stats.PromptTokens += int64(prompt)
	}
	s.mu.Unlock()
	if s.stepHook != nil {
		s.stepHook(decoding, prompt, seqs)
	}
	if err != nil {
		for _, sl := range s.slots {
			if sl.job != nil && (sl.decoding || sl.chunk > 0) {
				sl.tokens, sl.prompted = sl.tokens[:0], 0 // the cells are in an unknown state
				s.release(sl, "", fmt.Errorf("engine: forward pass: %w", err))
			}
		}
		s.endStep()
		return true
	}
	// Advance the caches.
	for _, sl := range s.slots {
		if sl.job == nil {
			continue
		}
		if sl.decoding {
			sl.tokens = append(sl.tokens, sl.next)
		} else if n := sl.chunk; n > 0 {
			sl.tokens = append(sl.tokens, sl.prompt[sl.prefill:sl.prefill+n]...)
			sl.prefill += n
			sl.prompted = sl.prefill
		}
	}
	for i, sl := range order {
		row := logits[i*s.vocab : (i+1)*s.vocab]
		if !sl.decoding {
			sl.res.PromptTime = time.Since(sl.t0)
			sl.t1 = time.Now()
			sl.decoding = true
		}
		s.safeSample(sl, row)
	}
	s.endStep()
	return true
}

// endStep adds the step's counters to the stats and drops the step's
// references to slots.
func (s *Scheduler) endStep() {
	clear(s.order)
	s.order = s.order[:0]
	if s.genCount > 0 {
		s.mu.Lock()
		s.stats.GeneratedTokens += s.genCount
		s.mu.Unlock()
		s.genCount = 0
	}
}

// safeSample is sample that ends only the job, not the server, if
// something in sampling panics.
func (s *Scheduler) safeSample(sl *slot, row []float32) {
	defer func() {
		if p := recover(); p != nil && sl.job != nil {
			s.release(sl, "", fmt.Errorf("engine: sampling failed: %v", p))
		}
	}()
	s.sample(sl, row)
}

// sample picks the next token of a slot from its logits and emits it, or
// ends the job.
func (s *Scheduler) sample(sl *slot, row []float32) {
	j := sl.job
	if c := j.req.Constraint; c != nil {
		sl.scratch = append(sl.scratch[:0], row...)
		row = sl.scratch
		c.Mask(row)
	}
	tok := sl.smp.Sample(row, sl.tokens)
	var first time.Time
	if len(sl.gen) == 0 {
		first = time.Now()
	}
	cdone := false
	if c := j.req.Constraint; c != nil {
		cdone = c.Accept(tok)
	}
	if s.m.Tokenizer.IsEOG(tok) {
		if !first.IsZero() {
			j.emit(nil, nil, first)
		}
		s.release(sl, StopEOG, nil)
		return
	}
	sl.gen = append(sl.gen, tok)
	s.genCount++
	var info *TokenInfo
	if j.req.Logprobs {
		info = s.logprobs(row, tok, j.req.TopLogprobs)
	}
	stopped := sl.dec.push(tok)
	if info != nil {
		// The token's own text; the chunk's Text may hold it back for stop
		// strings or incomplete UTF-8.
		info.Text = string(s.m.Tokenizer.Piece(tok))
	}
	if len(sl.out) > 0 || info != nil || !first.IsZero() {
		j.emit(sl.out, info, first)
		sl.out = sl.out[:0]
	}
	if stopped {
		s.release(sl, StopString, nil)
		return
	}
	if cdone {
		s.release(sl, StopEOG, nil)
		return
	}
	if j.req.MaxTokens > 0 && len(sl.gen) >= j.req.MaxTokens {
		s.release(sl, StopLength, nil)
		return
	}
	if len(sl.tokens) >= s.cache.Ctx {
		s.release(sl, StopContext, nil)
		return
	}
	sl.next = tok
}

// logprobs computes the log-probability of tok under row and the top k
// alternatives.
func (s *Scheduler) logprobs(row []float32, tok int32, k int) *TokenInfo {
	mx := float32(math.Inf(-1))
	for _, v := range row {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range row {
		if !math.IsInf(float64(v), -1) {
			sum += math.Exp(float64(v - mx))
		}
	}
	lse := float64(mx) + math.Log(sum)
	lp := func(id int32) float32 { return float32(float64(row[id]) - lse) }
	info := &TokenInfo{TokenProb: TokenProb{ID: tok, Logprob: lp(tok)}}
	k = min(k, len(row))
	if k > 0 {
		top := make([]int32, 0, k)
		for id := range row {
			v := row[id]
			if len(top) == k && v <= row[top[k-1]] {
				continue
			}
			pos := len(top)
			for pos > 0 && row[top[pos-1]] < v {
				pos--
			}
			if len(top) < k {
				top = append(top, 0)
			}
			copy(top[pos+1:], top[pos:len(top)-1])
			top[pos] = int32(id)
		}
		for _, id := range top {
			info.Top = append(info.Top, TokenProb{ID: id, Text: string(s.m.Tokenizer.Piece(id)), Logprob: lp(id)})
		}
	}
	return info
}

// streamText turns sampled tokens into text the way Session.Generate does:
// complete UTF-8 only, no leading SentencePiece space, stop strings cut.
type streamText struct {
	m       *Model
	dec     interface{ Push(int32) string }
	flushFn func() string
	st      stopper
	started bool
	toks    []int32
}

func newStreamText(m *Model, stops []string, emit func(string)) *streamText {
	d := m.Tokenizer.NewStreamDecoder()
	return &streamText{m: m, dec: d, flushFn: d.Flush, st: stopper{stops: stops, emit: emit}}
}

// push adds a token; it reports whether a stop string appeared.
func (t *streamText) push(tok int32) bool {
	t.toks = append(t.toks, tok)
	piece := t.dec.Push(tok)
	if !t.started && piece != "" {
		t.started = true
		if piece[0] == ' ' && !strings.HasPrefix(t.m.Tokenizer.Decode(t.toks), " ") {
			piece = piece[1:]
		}
	}
	return t.st.push(piece)
}

func (t *streamText) flush() {
	t.st.push(t.flushFn())
	t.st.flush()
}
