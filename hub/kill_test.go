package hub

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearthlm/hearth/hub/hubtest"
)

// TestMain lets the test binary play a pulling process that the kill test
// kills with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("HEARTH_HUB_TEST_CHILD") == "1" {
		c := New()
		c.Progress = nil
		c.RetryBase = time.Millisecond
		c.Parallel, _ = strconv.Atoi(os.Getenv("HEARTH_HUB_TEST_PARALLEL"))
		c.ParallelMin = 1 << 20
		ref, err := ParseRef(os.Getenv("HEARTH_HUB_TEST_REF"))
		if err == nil {
			_, err = c.Pull(context.Background(), ref)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillDuringPull kills a pulling process (SIGKILL) mid-file, checks
// that nothing unverified is in the cache, pulls again and checks that the
// second pull resumed and completed.
func TestKillDuringPull(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	for _, parallel := range []int{1, 4} {
		t.Run(fmt.Sprintf("parallel=%d", parallel), func(t *testing.T) {
			srv := hubtest.New()
			defer srv.Close()
			data := blob(40, 3<<20)
			srv.AddRepo("org/k", map[string][]byte{"k-Q4_K_M.gguf": data})
			srv.Throttle(1 << 20) // ~1 MiB/s: the child needs seconds
			cache := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(),
				"HEARTH_HUB_TEST_CHILD=1", "HF_ENDPOINT="+srv.URL(), "HF_HUB_CACHE="+cache,
				"HF_HUB_OFFLINE=", "HF_TOKEN=", "HEARTH_HUB_TEST_REF=org/k",
				"HEARTH_HUB_TEST_PARALLEL="+strconv.Itoa(parallel))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			blobs := filepath.Join(cache, "models--org--k", "blobs")
			partial := func() int64 {
				var n int64
				ents, _ := os.ReadDir(blobs)
				for _, e := range ents {
					if strings.Contains(e.Name(), ".incomplete") && !strings.HasSuffix(e.Name(), ".parts") {
						if fi, err := e.Info(); err == nil {
							n += fi.Size()
						}
					}
				}
				return n
			}
			deadline := time.Now().Add(20 * time.Second)
			for partial() < 500_000 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("child made no progress: %s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Kill() // SIGKILL: no clean-up runs
			cmd.Wait()
			had := partial()
			if had >= int64(len(data)) {
				t.Fatalf("child finished before the kill (%d bytes)", had)
			}
			// Nothing unverified is visible: no blob, no snapshot link.
			if _, err := os.Stat(filepath.Join(blobs, sha(data))); !os.IsNotExist(err) {
				t.Fatal("a blob appeared before verification")
			}
			if ents, _ := os.ReadDir(filepath.Join(cache, "models--org--k", "snapshots")); len(ents) != 0 {
				t.Fatal("a snapshot appeared before verification")
			}

			srv.Throttle(0)
			if !srv.WaitIdle(10 * time.Second) {
				t.Fatal("the fake still answers the killed child")
			}
			n := len(srv.Requests())
			c, _ := newClient(t, srv, cache)
			c.Parallel, c.ParallelMin = parallel, 1<<20
			r, err := c.Pull(ctxT(t), mustRef(t, "org/k"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readAll(t, r.Model), data) {
				t.Fatal("content differs after resume")
			}
			var fetched int64
			for _, rq := range srv.Requests()[n:] {
				if rq.Host != "cdn" || rq.Method != "GET" {
					continue
				}
				if rq.Range == "" {
					t.Errorf("the resumed pull downloaded the whole file again")
					continue
				}
				var a, z int64
				if _, err := fmt.Sscanf(rq.Range, "bytes=%d-%d", &a, &z); err == nil {
					fetched += z - a + 1
				}
			}
			if fetched > int64(len(data))-had+1 {
				t.Errorf("resumed pull fetched %d bytes; %d were already there of %d", fetched, had, len(data))
			}
			ents, _ := os.ReadDir(blobs)
			if len(ents) != 1 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("blobs holds %v, want only the verified blob", names)
			}
		})
	}
}
