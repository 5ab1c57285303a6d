package tokenizer

import "sync"

// wordCache remembers the ids of pre-tokenized words; natural text repeats
// its words, and merging is the costly part of BPE.
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

const maxCachedWords = 1 << 16

func (c *wordCache) get(w string) ([]int32, bool) {
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int32) {
	if len(w) > 256 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedWords {
		c.m = make(map[string][]int32)
	}
	c.m[w] = ids
	c.mu.Unlock()
}
