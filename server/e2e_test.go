package server

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// e2eDir is the node package of the end-to-end clients.
const e2eDir = "e2e"

// nodeModules makes sure server/e2e/node_modules is installed: npm ci
// (from package-lock.json) when it is missing, bounded in time. It skips
// the test when node or npm is missing or the install fails.
func nodeModules(t *testing.T, want string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no node end-to-end tests")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", want, "package.json")); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skipf("%s/node_modules is missing and npm is not installed", e2eDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefix", e2eDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("npm ci --prefix server/%s failed (%v); run it by hand to enable this test:\n%s", e2eDir, err, tail(out, 2000))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// TestOpenAINodeClient runs the official openai npm package against the
// server on a loopback port: models, a streamed chat with usage, a tool
// call (plain and streamed), the tool result's turn, and an error.
func TestOpenAINodeClient(t *testing.T) {
	nodeModules(t, "openai")
	path := toolModel(t)
	const key = "e2e-secret"
	_, hs := newTestServer(t, Config{Models: []string{path}, Slots: 2, APIKey: key})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "openai_client.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "HEARTH_BASE_URL="+hs.URL+"/v1", "HEARTH_API_KEY="+key, "HEARTH_MODEL=toolqwen")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node openai_client.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.Bytes(), stderr.Bytes())
	}
	t.Logf("openai npm client: %s", bytes.TrimSpace(stdout.Bytes()))
}
