package engine

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
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

func rssProbe(spec string) int {
	ref, ctxs, _ := strings.Cut(spec, "@")
	ctx, _ := strconv.Atoi(ctxs)
	m, err := Load(ref, Options{Threads: 2, Context: ctx})
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
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "HEARTH_RSS_PROBE=@"+strconv.Itoa(ctx))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("probe at context %d: %v\n%s", ctx, err, out)
		}
		var est, rss int64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "estimate %d rss %d", &est, &rss); err != nil {
			t.Fatalf("probe output %q: %v", out, err)
		}
		ratio := float64(est) / float64(rss)
		t.Logf("context %5d: estimate %.2f MiB, peak RSS %.2f MiB, ratio %.3f", ctx, float64(est)/(1<<20), float64(rss)/(1<<20), ratio)
		if math.Abs(ratio-1) > 0.10 {
			t.Errorf("context %d: estimate %d bytes is %.1f%% off the measured peak RSS %d", ctx, est, (ratio-1)*100, rss)
		}
	}
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
