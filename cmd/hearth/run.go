package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/plan"
	"github.com/hearthlm/hearth/sample"
)

type runFlags struct {
	maxTokens     int
	temperature   float32
	topK          int
	topP, minP    float32
	repeatPenalty float32
	repeatLastN   int
	seed          int64
	ctx           int
	kvType        string
	threads       int
	raw           bool
	system        string
	verbose       bool
}

func runCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run [MODEL] [PROMPT]",
		Short: "Generate from a prompt, or chat when no prompt is given on a terminal",
		Long: `Run a model. MODEL is a .gguf file; without one, the built-in demo model runs.
With a PROMPT, the continuation is printed and hearth exits. Without one, on a
terminal, hearth starts an interactive chat (Ctrl-C stops an answer, Ctrl-D quits);
with standard input redirected, the prompt is read from it.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, prompt, hasPrompt := "", "", false
			switch len(args) {
			case 1:
				if engine.IsModelRef(args[0]) {
					ref = args[0]
				} else {
					prompt, hasPrompt = args[0], true
				}
			case 2:
				ref, prompt, hasPrompt = args[0], args[1], true
			}
			if !hasPrompt && !term.IsTerminal(int(os.Stdin.Fd())) {
				b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
				if err != nil {
					return err
				}
				prompt, hasPrompt = string(b), true
			}
			kv, err := kvType(f.kvType)
			if err != nil {
				return err
			}
			m, err := engine.Load(ref, engine.Options{Threads: f.threads, Context: f.ctx, KVType: kv})
			if err != nil {
				return err
			}
			defer m.Close()
			describePlan(m, f.verbose)
			sess, err := m.NewSession(0)
			if err != nil {
				return err
			}
			if hasPrompt {
				return oneShot(m, sess, prompt, &f)
			}
			return interactive(m, sess, &f)
		},
	}
	fl := c.Flags()
	fl.IntVarP(&f.maxTokens, "max-tokens", "n", -1, "tokens to generate (-1: until the model stops or the context is full)")
	fl.Float32Var(&f.temperature, "temperature", 0.8, "sampling temperature; 0 is greedy decoding")
	fl.IntVar(&f.topK, "top-k", 40, "keep the K most likely tokens (0: off)")
	fl.Float32Var(&f.topP, "top-p", 0.95, "keep the smallest set of tokens whose probability reaches P (1: off)")
	fl.Float32Var(&f.minP, "min-p", 0.05, "drop tokens less likely than P times the most likely (0: off)")
	fl.Float32Var(&f.repeatPenalty, "repeat-penalty", 1, "penalize recently seen tokens (1: off)")
	fl.IntVar(&f.repeatLastN, "repeat-last-n", 64, "how many recent tokens the repeat penalty considers (-1: all)")
	fl.Int64Var(&f.seed, "seed", -1, "random seed (-1: a new one each run)")
	fl.IntVar(&f.ctx, "ctx", 0, "context size in tokens (0: the largest that fits in memory, up to the trained context)")
	kvTypeFlag(c, &f.kvType)
	fl.IntVarP(&f.threads, "threads", "t", 0, "threads (0: the physical cores available)")
	fl.BoolVar(&f.raw, "raw", false, "send the prompt as is, without the chat template")
	fl.StringVar(&f.system, "system", "", "system message for chat models")
	fl.BoolVar(&f.verbose, "verbose", false, "print timings on standard error")
	return c
}

func (f *runFlags) sampling() sample.Params {
	seed := uint64(f.seed)
	if f.seed < 0 {
		seed = newSeed()
	}
	return sample.Params{
		Temperature: f.temperature, TopK: f.topK, TopP: f.topP, MinP: f.minP,
		RepeatPenalty: f.repeatPenalty, RepeatLastN: f.repeatLastN, Seed: seed,
	}
}

func oneShot(m *engine.Model, sess *engine.Session, prompt string, f *runFlags) error {
	toks, err := m.PromptTokens(prompt, f.system, f.raw)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	res, err := sess.Generate(ctx, toks, engine.GenerateOptions{MaxTokens: f.maxTokens, Sampling: f.sampling()}, func(s string) {
		out.WriteString(s)
		out.Flush()
	})
	out.Flush()
	if err != nil {
		return err
	}
	report(res, sess, f.verbose)
	return nil
}

func report(res engine.Result, sess *engine.Session, verbose bool) {
	if res.Reason == engine.StopContext {
		fmt.Fprintf(os.Stderr, "\nhearth: stopped: the context of %d tokens is full (raise --ctx)\n", sess.Context())
	}
	if !verbose {
		return
	}
	pp := float64(res.PromptTokens) / res.PromptTime.Seconds()
	tg := float64(len(res.Tokens)) / res.GenTime.Seconds()
	fmt.Fprintf(os.Stderr, "\nprompt: %d tokens, %.1f tok/s; generated: %d tokens, %.1f tok/s; stop: %s; peak RSS %s\n",
		res.PromptTokens, pp, len(res.Tokens), tg, res.Reason, plan.Bytes(engine.PeakRSS()))
}

// describePlan prints the planner's warnings, and with verbose every
// default it chose with its reason.
func describePlan(m *engine.Model, verbose bool) {
	for _, w := range m.Plan.Warnings {
		fmt.Fprintln(os.Stderr, "hearth: warning:", w)
	}
	if !verbose {
		return
	}
	p := m.Plan
	fmt.Fprintf(os.Stderr, "machine: %s\n", m.Machine)
	fmt.Fprintf(os.Stderr, "threads: %d — %s\n", p.Threads, p.ThreadsWhy)
	fmt.Fprintf(os.Stderr, "context: %d — %s\n", p.Context, p.ContextWhy)
	fmt.Fprintf(os.Stderr, "KV cache: %s — %s\n", p.KVType, p.KVWhy)
	fmt.Fprintf(os.Stderr, "memory: %s\n", p.Estimate)
}

func interactive(m *engine.Model, sess *engine.Session, f *runFlags) error {
	fd := int(os.Stdin.Fd())
	conv := m.NewConversation(f.system, f.raw)
	if !conv.Templated() {
		fmt.Fprintln(os.Stderr, "This model has no chat template: each line you type is continued as plain text. Ctrl-D quits.")
	} else {
		fmt.Fprintln(os.Stderr, "Chat with the model. Ctrl-C stops an answer, Ctrl-D quits.")
	}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout}, ">>> ")
	for {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return err
		}
		line, err := t.ReadLine()
		term.Restore(fd, old)
		if errors.Is(err, io.EOF) {
			fmt.Println()
			return nil
		}
		if err != nil {
			return err
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		toks, err := conv.User(line)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hearth:", err)
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		var reply strings.Builder
		res, err := sess.Generate(ctx, toks, engine.GenerateOptions{MaxTokens: f.maxTokens, Sampling: f.sampling()}, func(s string) {
			reply.WriteString(s)
			os.Stdout.WriteString(s)
		})
		stop()
		fmt.Println()
		if err != nil {
			if errors.Is(err, engine.ErrContextFull) {
				fmt.Fprintln(os.Stderr, "hearth:", err, "- starting a new conversation")
				conv.Clear()
				sess.Reset()
				continue
			}
			return err
		}
		conv.Assistant(reply.String())
		report(res, sess, f.verbose)
	}
}
