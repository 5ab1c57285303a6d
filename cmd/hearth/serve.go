package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/server"
)

func serveCmd() *cobra.Command {
	var cfg server.Config
	var addr, kv string
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:4327] [--model REF]...",
		Short: "Serve models over an OpenAI- and Ollama-compatible HTTP API, with a chat page at /",
		Long: `Serve models over HTTP: the OpenAI API (/v1/chat/completions, /v1/completions,
/v1/models), the Ollama API (/api/chat, /api/generate, /api/tags, /api/show),
/health, /metrics (Prometheus) and a chat page at /.

--model may be given several times; the model field of a request picks one by
name (a .gguf file's base name, "demo" for the built-in model). Without
--model the built-in demo model is served. Concurrent requests share each
forward pass (--parallel sequences per model).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.APIKey == "" {
				cfg.APIKey = os.Getenv("HEARTH_API_KEY")
			}
			kvt, err := kvType(kv)
			if err != nil {
				return err
			}
			engine.DefaultKVType = kvt
			logger := log.New(os.Stderr, "", log.LstdFlags)
			cfg.Logger = logger
			srv, err := server.New(cfg)
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hs.Shutdown(sctx)
			}()
			fmt.Fprintf(os.Stderr, "hearth: serving on http://%s (OpenAI API at /v1, chat page at /)\n", ln.Addr())
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&addr, "addr", server.DefaultAddr, "address to listen on")
	fl.StringArrayVar(&cfg.Models, "model", nil, "model to serve (repeatable; default: the built-in demo)")
	fl.StringVar(&cfg.APIKey, "api-key", "", "require \"Authorization: Bearer KEY\" (default: $HEARTH_API_KEY)")
	fl.IntVar(&cfg.Slots, "parallel", 4, "concurrent sequences per model")
	fl.IntVar(&cfg.Ctx, "ctx", 0, "context per sequence in tokens (0: the trained context, or the largest power of two below it whose caches for all --parallel sequences fit in memory)")
	fl.IntVar(&cfg.Queue, "queue", 64, "requests that may wait per model before 429")
	fl.IntVarP(&cfg.Threads, "threads", "t", 0, "threads per model (0: all cores)")
	kvTypeFlag(c, &kv)
	fl.BoolVar(&cfg.LazyLoad, "lazy", false, "load each model on its first request instead of at start")
	fl.DurationVar(&cfg.IdleUnload, "idle-unload", 0, "unload a model unused for this long (0: never)")
	fl.Int64Var(&cfg.MaxBodyBytes, "max-body", 8<<20, "largest request body in bytes")
	return c
}
