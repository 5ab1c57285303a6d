package engine

import (
	"sort"

	"github.com/hearthlm/hearth/sample"
)

// EvalPosition lists the most likely next tokens after one position, as
// [id, logit, log-probability] triples, most likely first.
type EvalPosition struct {
	Pos int          `json:"pos"`
	Top [][3]float64 `json:"top"`
}

// EvalResult is the output of Eval.
type EvalResult struct {
	Positions []EvalPosition `json:"positions"`
}

// Eval runs the tokens through the model in one batch (a fresh cache) and
// returns the top-k next tokens at every position.
func (m *Model) Eval(ids []int32, k int) (*EvalResult, error) {
	sess, err := m.NewSession(max(len(ids), 1))
	if err != nil {
		return nil, err
	}
	vocab := m.Net.Info().Vocab
	res := &EvalResult{}
	for start := 0; start < len(ids); start += BatchSize {
		end := min(start+BatchSize, len(ids))
		sess.batch.Reset()
		for i := start; i < end; i++ {
			sess.batch.Add(ids[i], i, 0, true)
		}
		logits, err := m.Net.Forward(sess.cache, &sess.batch)
		if err != nil {
			return nil, err
		}
		for i := start; i < end; i++ {
			row := logits[(i-start)*vocab : (i-start+1)*vocab]
			lp := sample.LogSoftmax(row)
			order := make([]int, vocab)
			for j := range order {
				order[j] = j
			}
			sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
			kk := min(k, vocab)
			p := EvalPosition{Pos: i, Top: make([][3]float64, kk)}
			for j := 0; j < kk; j++ {
				id := order[j]
				p.Top[j] = [3]float64{float64(id), float64(row[id]), lp[id]}
			}
			res.Positions = append(res.Positions, p)
		}
	}
	return res, nil
}
