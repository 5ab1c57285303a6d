package model

import "github.com/hearthlm/hearth/kernels"

// Order puts the rows of a batch that mixes sequences into the order the
// products need so that every row gets the numbers it gets when its own
// sequence runs alone, as llama.cpp computes it (ggml multiplies a batch of
// one sequence's tokens with other kernels than a single token, and they
// sum in other orders; see kernels.BatchRows). For each sequence with c rows
// in the batch, in the order the sequences first appear, its first c - c%4
// rows when c ≥ 4 come first (the grouped rows), then, in batch order, the
// other rows of the sequences with two or more, then the sequences' single
// rows. A batch of one sequence is already in that order, so for it Order
// changes nothing and copies nothing; a scheduler that builds its batches
// in that order (prompt chunks first, each a multiple of four tokens but
// the last) avoids the copies too.
//
// The rows that want logits are ordered the same way among themselves for
// the last layer's rows and the output product (llama.cpp computes those
// only for the rows that want logits), and Logits returns the logits in
// the caller's batch order.
type Order struct {
	// All lays out the batch's rows, Out the rows that want logits.
	All, Out kernels.BatchRows

	perm    []int32 // compute row i is batch entry perm[i]; nil: in order
	batch   Batch   // the batch in compute order, when perm is set
	sel     []int32 // the compute rows that want logits, in their order
	outPerm []int32 // logits row j (compute order) is the caller's row outPerm[j]; nil: in order
	rank    []int32 // scratch: a row's index within its sequence's rows
	count   []int32 // scratch: rows per sequence
	idx     []int32 // scratch
	logits  []float32
}

// Plan orders batch b and returns the batch to compute: b itself when its
// rows are in order, else a reordered copy owned by o, valid until the next
// Plan.
func (o *Order) Plan(b *Batch) *Batch {
	n := b.Len()
	o.idx = o.idx[:0]
	for i := 0; i < n; i++ {
		o.idx = append(o.idx, int32(i))
	}
	var br kernels.BatchRows
	o.perm, br = o.order(o.perm[:0], o.idx, b.Seq)
	o.All = br
	if isIdentity(o.perm) {
		o.perm = o.perm[:0]
		o.planOut(b)
		return b
	}
	c := &o.batch
	c.Reset()
	for _, i := range o.perm {
		c.Add(b.Tokens[i], int(b.Pos[i]), int(b.Seq[i]), b.Logits[i])
	}
	o.planOut(c)
	return c
}

// planOut orders the rows of the compute batch c that want logits and maps
// them to the caller's logits rows.
func (o *Order) planOut(c *Batch) {
	o.idx = o.idx[:0]
	for i, want := range c.Logits {
		if want {
			o.idx = append(o.idx, int32(i))
		}
	}
	o.sel, o.Out = o.order(o.sel[:0], o.idx, c.Seq)
	// The caller's logits rows are its logits entries in batch order; the
	// compute batch holds entry perm[i] at row i. rank[e] = the logits row
	// of caller entry e.
	o.outPerm = o.outPerm[:0]
	if len(o.perm) == 0 && isIdentityOf(o.sel, o.idx) {
		return
	}
	n := len(c.Logits)
	o.rank = grow32(o.rank, n)
	caller := func(i int32) int32 {
		if len(o.perm) == 0 {
			return i
		}
		return o.perm[i]
	}
	// Caller entries that want logits, in caller order, numbered.
	clear(o.rank)
	for i := 0; i < n; i++ {
		if c.Logits[i] {
			o.rank[caller(int32(i))] = 1
		}
	}
	k := int32(0)
	for e := 0; e < n; e++ {
		if o.rank[e] != 0 {
			o.rank[e] = k
			k++
		} else {
			o.rank[e] = -1
		}
	}
	for _, i := range o.sel {
		o.outPerm = append(o.outPerm, o.rank[caller(i)])
	}
	if isIdentity(o.outPerm) {
		o.outPerm = o.outPerm[:0]
	}
}

// order returns in dst the rows idx (entries of a batch with sequences
// seq) in compute order, and their layout.
func (o *Order) order(dst, idx, seq []int32) ([]int32, kernels.BatchRows) {
	maxSeq := int32(0)
	for _, i := range idx {
		maxSeq = max(maxSeq, seq[i])
	}
	o.count = grow32(o.count, int(maxSeq)+1)
	clear(o.count)
	o.rank = grow32(o.rank, len(idx))
	for k, i := range idx {
		o.rank[k] = o.count[seq[i]]
		o.count[seq[i]]++
	}
	grouped := func(k int) bool {
		c := o.count[seq[idx[k]]]
		return c >= 4 && o.rank[k] < c-c%4
	}
	// Grouped rows, sequence by sequence in order of first appearance.
	for k, i := range idx {
		if !grouped(k) || o.rank[k] != 0 {
			continue
		}
		s := seq[i]
		for kk := k; kk < len(idx); kk++ {
			if seq[idx[kk]] == s && grouped(kk) {
				dst = append(dst, idx[kk])
			}
		}
	}
	br := kernels.BatchRows{Grouped: len(dst)}
	for k, i := range idx {
		if o.count[seq[i]] >= 2 && !grouped(k) {
			dst = append(dst, i)
		}
	}
	br.Batched = len(dst)
	for _, i := range idx {
		if o.count[seq[i]] == 1 {
			dst = append(dst, i)
		}
	}
	return dst, br
}

// LogitRows are the compute rows that want logits, in the order of the
// last layer's rows and of the logits Forward computes.
func (o *Order) LogitRows() []int32 { return o.sel }

// GatherLogitRows moves the rows (of width E) of x that want logits to its
// front, in LogitRows' order, using tmp (at least len(LogitRows())*E) when
// they do not move forward in place, and returns how many there are.
func (o *Order) GatherLogitRows(x, tmp []float32, E int) int {
	inPlace := true
	for j, i := range o.sel {
		if int(i) < j {
			inPlace = false
			break
		}
	}
	if inPlace { // rows only move forward: copy in increasing order
		for j, i := range o.sel {
			if int(i) != j {
				copy(x[j*E:(j+1)*E], x[int(i)*E:int(i+1)*E])
			}
		}
		return len(o.sel)
	}
	for j, i := range o.sel {
		copy(tmp[j*E:(j+1)*E], x[int(i)*E:int(i+1)*E])
	}
	copy(x, tmp[:len(o.sel)*E])
	return len(o.sel)
}

// SelectNorm writes the final norm of the rows of x that want logits into
// sel, in LogitRows' order, and returns how many there are.
func (o *Order) SelectNorm(sel, x, w []float32, eps float32) int {
	E := len(w)
	for j, i := range o.sel {
		kernels.RMSNorm(sel[j*E:(j+1)*E], x[int(i)*E:int(i+1)*E], w, eps)
	}
	return len(o.sel)
}

// Logits returns logits (one row of width vocab per logits row, in
// LogitRows' order) in the caller's batch order: l itself when the orders
// agree, else a reordered copy owned by o.
func (o *Order) Logits(l []float32, vocab int) []float32 {
	if len(o.outPerm) == 0 {
		return l
	}
	o.logits = Grow(o.logits, len(l))
	for j, r := range o.outPerm {
		copy(o.logits[int(r)*vocab:int(r+1)*vocab], l[j*vocab:(j+1)*vocab])
	}
	return o.logits[:len(l)]
}

func isIdentity(p []int32) bool {
	for i, v := range p {
		if int(v) != i {
			return false
		}
	}
	return true
}

func isIdentityOf(a, b []int32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func grow32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
