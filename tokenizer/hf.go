package tokenizer

// hfModel holds the tokenizer.json pipeline (normalizer, pre-tokenizer,
// model, post-processor, decoder).
type hfModel struct{}

func (h *hfModel) encode(t *Tokenizer, text string, addSpecial, parseSpecial bool) []int32 {
	return nil
}

func (h *hfModel) decode(t *Tokenizer, ids []int32, o DecodeOptions) string { return "" }

func (h *hfModel) streamPiece(t *Tokenizer, id int32) []byte { return t.piece(id, false) }
