package hub

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Selection is the set of files a reference needs from one commit.
type Selection struct {
	Files       []TreeEntry // everything to fetch
	Model       string      // repo path of the model file (the first shard); "" for safetensors
	Shards      int         // files in the model's split set (1 if not split)
	MMProj      string      // repo path of the vision projector, if any
	Quant       string      // the chosen quant as file names spell it ("" if unknown)
	Reason      string      // why this file, for the user
	Safetensors bool        // a repo with only safetensors: Files is the checkpoint
}

var (
	shardRE = regexp.MustCompile(`^(.*)-(\d{5})-of-(\d{5})\.gguf$`)
	quantRE = regexp.MustCompile(`(?i)^(?:I?Q[1-8](?:_[A-Z0-9]+)*|BF16|F16|F32|F64|TQ[12]_0|MXFP4(?:_MOE)?)$`)
)

// QuantOf reads the quant from a GGUF file name ("Qwen3-0.6B-Q4_K_M.gguf"
// → "Q4_K_M"), "" if it names none. Unsloth's "UD-" prefix is kept.
func QuantOf(name string) string {
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if m := shardRE.FindStringSubmatch(path.Base(name)); m != nil {
		base = m[1]
	}
	toks := strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '.' })
	for i := len(toks) - 1; i >= 0; i-- {
		if quantRE.MatchString(toks[i]) {
			q := strings.ToUpper(toks[i])
			if i > 0 && strings.EqualFold(toks[i-1], "UD") {
				q = "UD-" + q
			}
			return q
		}
	}
	return ""
}

// hasQuant reports whether the quant q appears in p as a whole token,
// ignoring case: "q4_k_m" matches "x-Q4_K_M.gguf" and "Q4_K_M/x.gguf", but
// "Q4_K" does not match "x-Q4_K_M.gguf".
func hasQuant(p, q string) bool {
	lp, lq := strings.ToLower(p), strings.ToLower(q)
	for i := 0; ; {
		j := strings.Index(lp[i:], lq)
		if j < 0 {
			return false
		}
		a, z := i+j, i+j+len(lq)
		left := a == 0 || strings.ContainsRune("-./_", rune(lp[a-1]))
		right := z == len(lp) || strings.ContainsRune("-./", rune(lp[z]))
		if left && right {
			return true
		}
		i = a + 1
	}
}

func isMMProj(p string) bool { return strings.Contains(strings.ToLower(path.Base(p)), "mmproj") }

func isGGUF(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".gguf") }

// ggufSet is one model file or one complete split set.
type ggufSet struct {
	files []TreeEntry // in shard order
	size  int64
	quant string
}

func (s ggufSet) first() string { return s.files[0].Path }

// ggufSets groups the GGUF files (mmproj aside) into models; a split set
// with missing shards is left out.
func ggufSets(files []TreeEntry) []ggufSet {
	byKey := map[string][]TreeEntry{}
	want := map[string]int{}
	var keys []string
	for _, f := range files {
		if !isGGUF(f.Path) || isMMProj(f.Path) {
			continue
		}
		key := f.Path
		if m := shardRE.FindStringSubmatch(f.Path); m != nil {
			n, _ := strconv.Atoi(m[3])
			key = m[1] + "-of-" + m[3]
			want[key] = n
		}
		if _, ok := byKey[key]; !ok {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], f)
	}
	var sets []ggufSet
	for _, k := range keys {
		fs := byKey[k]
		sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
		if n, split := want[k]; split {
			if n < 1 || len(fs) != n {
				continue
			}
			ok := true
			for i, f := range fs {
				m := shardRE.FindStringSubmatch(f.Path)
				if idx, _ := strconv.Atoi(m[2]); idx != i+1 {
					ok = false
				}
			}
			if !ok {
				continue
			}
		}
		s := ggufSet{files: fs, quant: QuantOf(fs[0].Path)}
		for _, f := range fs {
			s.size += f.Size
		}
		sets = append(sets, s)
	}
	sort.SliceStable(sets, func(i, j int) bool {
		if len(sets[i].first()) != len(sets[j].first()) {
			return len(sets[i].first()) < len(sets[j].first())
		}
		return sets[i].first() < sets[j].first()
	})
	return sets
}

// safetensorsFiles are what a conversion needs from a repo without GGUF.
var safetensorsSide = map[string]bool{
	"config.json": true, "generation_config.json": true, "tokenizer.json": true,
	"tokenizer_config.json": true, "tokenizer.model": true, "special_tokens_map.json": true,
	"added_tokens.json": true, "vocab.json": true, "merges.txt": true,
	"chat_template.jinja": true, "chat_template.json": true, "model.safetensors.index.json": true,
}

// QuantOption is one quantization a repo offers, for a QuantChooser.
type QuantOption struct {
	Quant string // "Q4_K_M", "" when the file name names none
	Bytes int64  // all shards together
}

// QuantChooser picks among the quantizations a repo offers when the
// reference names none, returning the index and the reason. It returns
// -1 to fall back to the fixed order (Q4_K_M, Q8_0, the smallest) or an
// error to refuse (nothing fits the machine).
type QuantChooser func(options []QuantOption) (int, string, error)

// Choose picks the files ref needs from a repo listing.
func Choose(files []TreeEntry, ref Ref) (*Selection, error) {
	return ChooseWith(files, ref, nil)
}

// ChooseWith is Choose with a chooser for the quantization when the
// reference names none (the engine passes the memory planner's).
func ChooseWith(files []TreeEntry, ref Ref, chooser QuantChooser) (*Selection, error) {
	sets := ggufSets(files)
	var pick *ggufSet
	sel := &Selection{}
	switch {
	case ref.File != "":
		for i := range sets {
			for _, f := range sets[i].files {
				if f.Path == ref.File {
					pick = &sets[i]
				}
			}
		}
		if pick == nil {
			for _, f := range files {
				if f.Path == ref.File {
					return nil, fmt.Errorf("hub: %s: %q is not a model file (or its split set is incomplete)", ref.Repo, ref.File)
				}
			}
			return nil, &HTTPError{Status: 404, Repo: ref.Repo, Rev: ref.Rev(), Path: ref.File, kind: ErrEntryNotFound}
		}
		sel.Reason = "the file named"
	case ref.Quant != "" && len(sets) > 0:
		var match []*ggufSet
		for i := range sets {
			if hasQuant(sets[i].first(), ref.Quant) {
				match = append(match, &sets[i])
			}
		}
		for _, m := range match {
			if strings.EqualFold(m.quant, ref.Quant) {
				pick = m
				break
			}
		}
		if pick == nil && len(match) > 0 {
			pick = match[0]
		}
		if pick == nil {
			return nil, fmt.Errorf("hub: %s: %w for quant %q; it has %s", ref.Repo, ErrNoModel, ref.Quant, quantList(sets))
		}
		sel.Reason = "the quant asked for"
	case len(sets) > 0 && chooser != nil:
		if err := chooseWith(chooser, sets, &pick, sel); err != nil {
			return nil, fmt.Errorf("hub: %s: %w", ref.Repo, err)
		}
	case len(sets) > 0:
		for _, q := range []string{"Q4_K_M", "Q8_0"} {
			for i := range sets {
				if sets[i].quant == q {
					pick = &sets[i]
					break
				}
			}
			if pick != nil {
				if q == "Q4_K_M" {
					sel.Reason = "no quant given: Q4_K_M, the usual balance of size and quality at about 4.8 bits per weight"
				} else {
					sel.Reason = "no quant given and no Q4_K_M: Q8_0, near-lossless at 8.5 bits per weight"
				}
				break
			}
		}
		if pick == nil {
			pick = &sets[0]
			for i := range sets {
				if sets[i].size < pick.size {
					pick = &sets[i]
				}
			}
			sel.Reason = "no quant given and neither Q4_K_M nor Q8_0: the smallest file"
		}
	default:
		return chooseSafetensors(files, ref)
	}
	if pick == nil {
		// The chooser declined (-1): the fixed order.
		return ChooseWith(files, ref, nil)
	}
	sel.Files = append(sel.Files, pick.files...)
	sel.Model = pick.first()
	sel.Shards = len(pick.files)
	sel.Quant = pick.quant
	if ref.File == "" {
		if mm := chooseMMProj(files, ref.Quant); mm != nil {
			sel.Files = append(sel.Files, *mm)
			sel.MMProj = mm.Path
		}
	}
	return sel, nil
}

// chooseWith asks the chooser; it sets *pick (left nil when the chooser
// declines) and the reason, and returns the chooser's refusal.
func chooseWith(chooser QuantChooser, sets []ggufSet, pick **ggufSet, sel *Selection) error {
	opts := make([]QuantOption, len(sets))
	for i, s := range sets {
		opts[i] = QuantOption{Quant: s.quant, Bytes: s.size}
	}
	i, reason, err := chooser(opts)
	if err != nil {
		return err
	}
	if i >= 0 && i < len(sets) {
		*pick = &sets[i]
		sel.Reason = reason
	}
	return nil
}

func quantList(sets []ggufSet) string {
	var qs []string
	seen := map[string]bool{}
	for _, s := range sets {
		q := s.quant
		if q == "" {
			q = path.Base(s.first())
		}
		if !seen[q] {
			seen[q] = true
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return "no GGUF files"
	}
	return strings.Join(qs, ", ")
}

// chooseMMProj picks the projector: the quant asked for, else F16, BF16,
// Q8_0, else the smallest.
func chooseMMProj(files []TreeEntry, quant string) *TreeEntry {
	var mms []TreeEntry
	for _, f := range files {
		if isGGUF(f.Path) && isMMProj(f.Path) {
			mms = append(mms, f)
		}
	}
	if len(mms) == 0 {
		return nil
	}
	sort.Slice(mms, func(i, j int) bool { return mms[i].Path < mms[j].Path })
	prefs := []string{"F16", "BF16", "Q8_0"}
	if quant != "" {
		prefs = append([]string{quant}, prefs...)
	}
	for _, q := range prefs {
		for i := range mms {
			if hasQuant(mms[i].Path, q) {
				return &mms[i]
			}
		}
	}
	best := &mms[0]
	for i := range mms {
		if mms[i].Size < best.Size {
			best = &mms[i]
		}
	}
	return best
}

func chooseSafetensors(files []TreeEntry, ref Ref) (*Selection, error) {
	sel := &Selection{Safetensors: true, Quant: ref.Quant, Reason: "the repo has only safetensors; they are converted to GGUF"}
	weights := 0
	for _, f := range files {
		if strings.Contains(f.Path, "/") {
			continue // original/, onnx/ and such hold duplicates
		}
		switch {
		case strings.HasSuffix(f.Path, ".safetensors"):
			weights++
			sel.Files = append(sel.Files, f)
		case safetensorsSide[f.Path]:
			sel.Files = append(sel.Files, f)
		}
	}
	if weights == 0 {
		return nil, fmt.Errorf("hub: %s: %w: it has neither .gguf nor .safetensors files", ref.Repo, ErrNoModel)
	}
	sort.Slice(sel.Files, func(i, j int) bool { return sel.Files[i].Path < sel.Files[j].Path })
	return sel, nil
}
