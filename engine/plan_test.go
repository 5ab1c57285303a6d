package engine

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/plan"
)

// TestMain lets a test re-run this binary as a clean process that loads a
// model, prefills its whole context and reports its peak RSS, so memory is
// measured without the rest of the test suite in the same heap.
func TestMain(m *testing.M) {
	if spec := os.Getenv("HEARTH_RSS_PROBE"); spec != "" {
		os.Exit(rssProbe(spec))
	}
	os.Exit(m.Run())
}

// rssProbe loads REF@CTX[@KVTYPE], prefills the whole context and prints
// the estimate and the peak RSS.
func rssProbe(spec string) int {
	ref, rest, _ := strings.Cut(spec, "@")
	ctxs, kv, _ := strings.Cut(rest, "@")
	ctx, _ := strconv.Atoi(ctxs)
	m, err := Load(ref, Options{Threads: 2, Context: ctx, KVType: plan.KVType(kv)})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	sess, err := m.NewSession(0)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	r := rand.New(rand.NewPCG(1, 2))
	toks := make([]int32, ctx)
	for i := range toks {
		toks[i] = int32(3 + r.IntN(m.Net.Info().Vocab-3))
	}
	if _, err := sess.Prefill(toks); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Printf("estimate %d rss %d\n", m.Plan.Estimate.Total, PeakRSS())
	fmt.Fprintln(os.Stderr, m.Plan.Estimate)
	return 0
}

// TestMemoryEstimateMatchesRSS checks the planner's estimate against the
// measured peak RSS after a full-context prefill of the demo model.
func TestMemoryEstimateMatchesRSS(t *testing.T) {
	if PeakRSS() == 0 {
		t.Skip("peak RSS is only measured on Linux")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []int{512, 2048} {
		checkRSS(t, exe, "@"+strconv.Itoa(ctx))
	}
}

func checkRSS(t *testing.T, exe, spec string) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "HEARTH_RSS_PROBE="+spec)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe %s: %v\n%s", spec, err, out)
	}
	var est, rss int64
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "estimate %d rss %d", &est, &rss); err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	ratio := float64(est) / float64(rss)
	t.Logf("%s: estimate %.2f MiB, peak RSS %.2f MiB, ratio %.3f", spec, float64(est)/(1<<20), float64(rss)/(1<<20), ratio)
	if math.Abs(ratio-1) > 0.10 {
		t.Errorf("%s: estimate %d bytes is %.1f%% off the measured peak RSS %d", spec, est, (ratio-1)*100, rss)
	}
}

// kvSpec is a random-weight llama whose KV cache is large next to its
// weights (16 layers of 16 KV heads of 64 over an embedding of 64), so that the KV
// type decides a good part of its memory. The demo model's heads (8
// values) cannot be held in q8_0 blocks of 32.
var kvSpec = testmodel.Spec{
	Name: "wide-kv llama (random)", Arch: "llama", Embd: 64, Layers: 16, Heads: 16, KVHeads: 16, HeadDim: 64,
	FFN: 128, Vocab: 1024, Ctx: 512, RopeBase: 10000, Eps: 1e-5,
}

// TestKVQ8MemoryMatchesEstimate: with --kv-type q8_0 the planner's KV
// estimate is exactly the cache a session allocates (34 bytes per 32
// values, half of f16's and a little more), the heap grows by it, and the
// whole estimate matches the measured peak RSS after a full-context
// prefill.
func TestKVQ8MemoryMatchesEstimate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kv.gguf")
	if err := testmodel.WriteGGUF(path, kvSpec, gguf.TypeQ8_0, 1); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []plan.KVType{plan.KVF16, plan.KVQ8_0} {
		m, err := Load(path, Options{Threads: 2, Context: 512, KVType: kv})
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		sess, err := m.NewSession(0)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		got, est := sess.cache.Bytes(), m.Plan.Estimate.KVCache
		grew := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%s: estimate %d bytes, cache %d, heap grew %d", kv, est, got, grew)
		if sess.cache.Type != model.KVType(kv) || m.Plan.KVType != kv {
			t.Errorf("%s asked: cache %s, plan %s", kv, sess.cache.Type, m.Plan.KVType)
		}
		if got != est {
			t.Errorf("%s: the cache holds %d bytes, the estimate says %d", kv, got, est)
		}
		if grew < got || float64(grew) > 1.01*float64(got) {
			t.Errorf("%s: the heap grew by %d bytes for a cache of %d", kv, grew, got)
		}
		if kv == plan.KVQ8_0 {
			if want := int64(kvSpec.Layers*512*kvSpec.KVHeads*kvSpec.HeadDim*2) / 32 * 34; got != want {
				t.Errorf("q8_0 cache of %d bytes, want %d", got, want)
			}
		}
		m.Close()
	}
	if PeakRSS() == 0 {
		t.Skip("peak RSS is only measured on Linux")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	checkRSS(t, exe, path+"@512@q8_0")
}

// TestContextOverflowLibrary: the library API refuses a prompt longer than
// the session's context with an error carrying the numbers.
func TestContextOverflowLibrary(t *testing.T) {
	m, err := Load("", Options{Threads: 1, Context: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sess, err := m.NewSession(0)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Context() != 16 {
		t.Fatalf("session context %d, want the planned 16", sess.Context())
	}
	toks := make([]int32, 20)
	for i := range toks {
		toks[i] = int32(10 + i)
	}
	_, err = sess.Prefill(toks)
	if !errors.Is(err, ErrContextFull) || !strings.Contains(err.Error(), "20 tokens") || !strings.Contains(err.Error(), "16") {
		t.Fatalf("err = %v, want ErrContextFull naming 20 tokens and a context of 16", err)
	}
}

// TestInspectMatchesRun: what inspect reports as the plan is what a
// session made with no flags uses.
func TestInspectMatchesRun(t *testing.T) {
	m, err := Load("", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := m.Inspect()
	sess, err := m.NewSession(0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Plan.Context != sess.Context() || r.Plan.Context == 0 {
		t.Errorf("inspect says context %d, a session uses %d", r.Plan.Context, sess.Context())
	}
	if r.Plan.Threads != m.Threads() {
		t.Errorf("inspect says %d threads, the model runs %d", r.Plan.Threads, m.Threads())
	}
	if len(r.Memory) == 0 || r.Memory[len(r.Memory)-1].Context != r.ContextLength {
		t.Errorf("memory table %+v does not end at the trained context %d", r.Memory, r.ContextLength)
	}
}
