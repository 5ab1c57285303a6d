package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// fileLock is held while one blob is downloaded: .locks/{repo}/{blob}.lock,
// the file huggingface_hub's filelock uses.
type fileLock struct{ f *os.File }

// lockFile waits for the lock at path, calling waiting once if another
// holder makes it wait.
func lockFile(ctx context.Context, path string, waiting func()) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: lock: %w", err)
	}
	delay := 20 * time.Millisecond
	for told := false; ; {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("hub: lock %s: %w", path, err)
		}
		if ok {
			return &fileLock{f}, nil
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		if err := sleep(ctx, delay); err != nil {
			f.Close()
			return nil, err
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

func (l *fileLock) Unlock() {
	unlock(l.f)
	l.f.Close()
}
