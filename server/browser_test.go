package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cdp is a Chrome DevTools protocol client over --remote-debugging-pipe:
// the browser reads commands from its fd 3 and writes replies and events
// to its fd 4, each message a JSON text ended by a NUL byte. No
// websocket, no port.
type cdp struct {
	w      *os.File
	mu     sync.Mutex
	nextID int
	wait   map[int]chan cdpMsg
	events chan cdpMsg
	done   chan struct{}
}

type cdpMsg struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	SessionID string          `json:"sessionId"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func newCDP(w, r *os.File) *cdp {
	c := &cdp{w: w, wait: map[int]chan cdpMsg{}, events: make(chan cdpMsg, 256), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		br := bufio.NewReaderSize(r, 1<<20)
		for {
			b, err := br.ReadBytes(0)
			if err != nil {
				return
			}
			var m cdpMsg
			if json.Unmarshal(b[:len(b)-1], &m) != nil {
				continue
			}
			if m.ID == 0 {
				select {
				case c.events <- m:
				default: // nobody needs old events
				}
				continue
			}
			c.mu.Lock()
			ch := c.wait[m.ID]
			delete(c.wait, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}()
	return c
}

// call sends a command (to a page session when session is set) and waits
// for its result.
func (c *cdp) call(ctx context.Context, session, method string, params any, result any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMsg, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-c.done:
		return errors.New(method + ": the browser went away")
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// page is one browser tab.
type page struct {
	t       *testing.T
	c       *cdp
	session string
	ctx     context.Context
}

// evalResult is the reply to Runtime.evaluate.
type evalResult struct {
	Result struct {
		Value json.RawMessage `json:"value"`
	} `json:"result"`
	ExceptionDetails *struct {
		Text      string `json:"text"`
		Exception struct {
			Description string `json:"description"`
		} `json:"exception"`
	} `json:"exceptionDetails"`
}

// eval runs a JavaScript expression in the page (awaiting a promise) and
// returns its value as JSON.
func (p *page) eval(expr string) json.RawMessage {
	p.t.Helper()
	var res evalResult
	v, err := p.tryEval(expr, &res)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// tryEval evaluates expr, returning CDP errors (such as an evaluation
// interrupted by a navigation) instead of failing the test.
func (p *page) tryEval(expr string, res *evalResult) (json.RawMessage, error) {
	err := p.c.call(p.ctx, p.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true}, res)
	if err != nil {
		return nil, err
	}
	if e := res.ExceptionDetails; e != nil {
		return nil, fmt.Errorf("%s: %s %s", expr, e.Text, e.Exception.Description)
	}
	return res.Result.Value, nil
}

// waitFor polls a JavaScript condition until it is true.
func (p *page) waitFor(what, cond string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		// A page that is navigating (the key form submits and reloads)
		// answers "navigated or closed": keep polling until the deadline.
		var res evalResult
		v, err := p.tryEval("!!("+cond+")", &res)
		if err == nil && string(v) == "true" {
			return
		}
		if err != nil && time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s: %v", what, err)
		}
		if time.Now().After(deadline) {
			p.screenshot("timeout")
			p.t.Fatalf("waiting for %s (%s): timed out after %v", what, cond, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the page as testdata/out/<name>.png (ignored by git)
// and logs where.
func (p *page) screenshot(name string) string {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.c.call(p.ctx, p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &res); err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	dir := filepath.Join("testdata", "out")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	abs, _ := filepath.Abs(path)
	p.t.Logf("screenshot: %s (%d bytes)", abs, len(png))
	return abs
}

// findChromium returns the browser to drive: $HEARTH_CHROMIUM, else
// Debian's chromium or Google Chrome on PATH.
func findChromium() string {
	if p := os.Getenv("HEARTH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// openBrowser starts a headless browser with a fresh profile and one tab.
func openBrowser(t *testing.T, ctx context.Context) *page {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		t.Skip("no chromium to drive (apt-get install -y chromium, or set HEARTH_CHROMIUM)")
	}
	toBrowser, fromTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowser, toTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "--window-size=1280,800", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, toTest} // fd 3: commands in, fd 4: replies out
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("starting %s: %v", bin, err)
	}
	toBrowser.Close()
	toTest.Close()
	c := newCDP(fromTest, fromBrowser)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.call(cctx, "", "Browser.close", nil, nil)
		cancel()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		fromTest.Close()
		fromBrowser.Close()
		if t.Failed() {
			t.Logf("browser stderr:\n%s", stderr.String())
		}
	})
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatalf("%v\nbrowser stderr:\n%s", err, stderr.String())
	}
	var attach struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attach); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, c: c, session: attach.SessionID, ctx: ctx}
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := c.call(ctx, p.session, m, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A prompt() would block the page: answer any dialog by dismissing it.
	go func() {
		for {
			select {
			case ev := <-c.events:
				if ev.Method == "Page.javascriptDialogOpening" {
					go c.call(ctx, ev.SessionID, "Page.handleJavaScriptDialog", map[string]any{"accept": false}, nil)
				}
			case <-c.done:
				return
			}
		}
	}()
	return p
}

func (p *page) navigate(url string) {
	p.t.Helper()
	if err := p.c.call(p.ctx, p.session, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		p.t.Fatal(err)
	}
}

// slowStream delays each write of the chat endpoint's event stream, so
// that the page is seen mid-reply and its stop button has something to stop.
func slowStream(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			w = &slowWriter{ResponseWriter: w, d: d}
		}
		h.ServeHTTP(w, r)
	})
}

type slowWriter struct {
	http.ResponseWriter
	d time.Duration
}

func (w *slowWriter) Write(b []byte) (int, error) {
	time.Sleep(w.d)
	return w.ResponseWriter.Write(b)
}

func (w *slowWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// TestWebPageBrowser drives the chat page in headless Chromium: the key
// form (the server has an API key), the page with its model list, a
// message, the reply streaming in, the stop button, and the conversation
// kept across a reload. Screenshots go to testdata/out.
func TestWebPageBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser test")
	}
	if findChromium() == "" {
		t.Skip("no chromium to drive (apt-get install -y chromium, or set HEARTH_CHROMIUM)")
	}
	const key = "page-key"
	s, err := New(Config{APIKey: key, Threads: 1, Slots: 2, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(slowStream(s.Handler(), 40*time.Millisecond))
	defer s.Close()
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := openBrowser(t, ctx)

	// The key form, then the page.
	p.navigate(hs.URL + "/")
	p.waitFor("the key form", `document.readyState === "complete" && document.getElementById("key")`, 30*time.Second)
	p.eval(`document.getElementById("key").value = ` + jsString(key) + `; document.getElementById("login").requestSubmit(); true`)
	p.waitFor("the model list", `document.getElementById("model") && document.getElementById("model").options.length > 0`, 30*time.Second)
	if m := string(p.eval(`document.getElementById("model").value`)); m != `"demo"` {
		t.Errorf("model picker shows %s", m)
	}

	// A message; the reply streams in (seen growing), then stop.
	p.eval(`document.getElementById("maxtok").value = "400"; document.getElementById("temp").value = "1";
		document.getElementById("input").value = "Once upon a time";
		document.getElementById("form").requestSubmit(); true`)
	reply := `(document.querySelector("#log .msg.assistant:last-child .body") || {}).textContent || ""`
	p.waitFor("the first words of the reply", reply+`.length > 0`, 30*time.Second)
	first := len(p.eval(reply))
	p.waitFor("more of the reply", reply+`.length > `+fmt.Sprint(first+8), 30*time.Second)
	if string(p.eval(`document.getElementById("stop").disabled`)) != "false" {
		t.Error("the stop button is disabled while streaming")
	}
	p.screenshot("webpage-streaming")
	p.eval(`document.getElementById("stop").click(); true`)
	p.waitFor("the reply to stop", `document.getElementById("stop").disabled && document.getElementById("send").disabled === false`, 10*time.Second)
	stats := string(p.eval(`(document.querySelector("#log .msg.assistant:last-child .stats") || {}).textContent || ""`))
	if !strings.Contains(stats, "stopped") {
		t.Errorf("after stop the reply says %s", stats)
	}
	text := string(p.eval(reply))
	if p.screenshot("webpage") == "" {
		t.Error("no screenshot")
	}

	// The server let go of the request: no sequence is left running.
	deadline := time.Now().Add(10 * time.Second)
	for {
		lm := s.models[0].current()
		if st := lm.sched.Stats(); st.Active == 0 && st.Queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the generation still runs after stop: %+v", lm.sched.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The conversation is kept in the browser.
	p.navigate(hs.URL + "/")
	p.waitFor("the page again", `document.readyState === "complete" && document.querySelectorAll("#log .msg").length === 2`, 30*time.Second)
	if again := string(p.eval(reply)); again != text {
		t.Errorf("after reload the reply is %s, was %s", again, text)
	}
	if u := string(p.eval(`document.querySelector("#log .msg.user .body").textContent`)); u != `"Once upon a time"` {
		t.Errorf("after reload the message is %s", u)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
