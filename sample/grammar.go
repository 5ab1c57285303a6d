package sample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Constrained sampling for structured output. A Grammar compiled from a
// JSON schema (or "any JSON object") is a pushdown automaton over bytes; a
// Matcher runs it over the generated tokens and, before each sampling
// step, masks the tokens whose bytes the grammar cannot accept next, so
// the output always parses and validates. The output is compact JSON (no
// whitespace between tokens) with object properties in schema order.

type nodeKind int

const (
	kAny nodeKind = iota
	kObject
	kArray
	kString
	kNumber
	kInteger
	kLiteral // one of a set of literal JSON texts (enum, const, true/false, null)
	kSeq     // parts one after another (Sequence, Literal wrappers)
)

type prop struct {
	key      []byte // the JSON-encoded name, without quotes
	required bool
	n        *node
}

type node struct {
	kind     nodeKind
	props    []prop // kObject with properties; nil: any keys, values n.items
	free     bool   // kObject without properties: any keys
	items    *node  // kArray items; kObject (free) values
	minItems int
	maxItems int // -1: no limit
	lits     [][]byte
	parts    []*node // kSeq
}

// Grammar is a compiled constraint: one or more alternatives, each a
// deterministic pushdown automaton. A Matcher runs the alternatives side
// by side and drops those the output leaves.
type Grammar struct {
	alts []*node
}

// JSONObjectGrammar accepts any JSON object (response_format json_object).
func JSONObjectGrammar() *Grammar {
	return &Grammar{alts: []*node{{kind: kObject, free: true, items: &node{kind: kAny}, maxItems: -1}}}
}

// Literal accepts exactly text (tool-call markers around a JSON document).
func Literal(text string) *Grammar {
	if text == "" {
		return &Grammar{alts: []*node{{kind: kSeq}}}
	}
	return &Grammar{alts: []*node{{kind: kLiteral, lits: [][]byte{[]byte(text)}}}}
}

// Sequence accepts the grammars one after another.
func Sequence(gs ...*Grammar) *Grammar {
	alts := [][]*node{nil}
	for _, g := range gs {
		var next [][]*node
		for _, prefix := range alts {
			for _, a := range g.alts {
				parts := append([]*node(nil), prefix...)
				if a.kind == kSeq {
					parts = append(parts, a.parts...)
				} else {
					parts = append(parts, a)
				}
				next = append(next, parts)
			}
		}
		alts = next
	}
	out := &Grammar{}
	for _, parts := range alts {
		if len(parts) == 1 {
			out.alts = append(out.alts, parts[0])
		} else {
			out.alts = append(out.alts, &node{kind: kSeq, parts: parts})
		}
	}
	return out
}

// Choice accepts what any of the grammars accepts.
func Choice(gs ...*Grammar) *Grammar {
	out := &Grammar{}
	for _, g := range gs {
		out.alts = append(out.alts, g.alts...)
	}
	return out
}

// ignored are schema keywords that do not restrict the output.
var ignored = map[string]bool{"description": true, "title": true, "$schema": true, "$id": true, "default": true,
	"examples": true, "$comment": true, "strict": true, "format": true}

// CompileJSONSchema compiles a JSON schema. Keywords it cannot enforce
// give an error that names them and where they are.
func CompileJSONSchema(schema []byte) (*Grammar, error) {
	d := json.NewDecoder(bytes.NewReader(schema))
	d.UseNumber()
	v, err := decodeOrdered(d, 0)
	if err != nil {
		return nil, fmt.Errorf("json schema: %v", err)
	}
	n, err := compile(v, "#")
	if err != nil {
		return nil, err
	}
	return &Grammar{alts: []*node{n}}, nil
}

func compile(v any, path string) (*node, error) {
	if b, ok := v.(bool); ok {
		if b {
			return &node{kind: kAny}, nil
		}
		return nil, fmt.Errorf("json schema: %s: the schema false accepts nothing", path)
	}
	s, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("json schema: %s: a schema must be an object", path)
	}
	var unsupported []string
	for k := range s {
		switch k {
		case orderKey, "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const":
		default:
			if !ignored[k] {
				unsupported = append(unsupported, k)
			}
		}
	}
	if len(unsupported) > 0 {
		sort.Strings(unsupported)
		return nil, fmt.Errorf("json schema: %s: unsupported keywords: %s", path, strings.Join(unsupported, ", "))
	}
	if c, ok := s["const"]; ok {
		b, _ := json.Marshal(plain(c))
		return &node{kind: kLiteral, lits: [][]byte{b}}, nil
	}
	if e, ok := s["enum"]; ok {
		list, ok := e.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("json schema: %s/enum: want a non-empty array", path)
		}
		n := &node{kind: kLiteral}
		for _, x := range list {
			b, _ := json.Marshal(plain(x))
			n.lits = append(n.lits, b)
		}
		return n, nil
	}
	typ, _ := s["type"].(string)
	if t, ok := s["type"]; ok && typ == "" {
		return nil, fmt.Errorf("json schema: %s/type: %v: only a single type name is supported", path, t)
	}
	switch typ {
	case "":
		if _, ok := s["properties"]; ok {
			typ = "object"
		} else if _, ok := s["items"]; ok {
			typ = "array"
		} else {
			return &node{kind: kAny}, nil
		}
	}
	switch typ {
	case "string":
		return &node{kind: kString}, nil
	case "number":
		return &node{kind: kNumber}, nil
	case "integer":
		return &node{kind: kInteger}, nil
	case "boolean":
		return &node{kind: kLiteral, lits: [][]byte{[]byte("true"), []byte("false")}}, nil
	case "null":
		return &node{kind: kLiteral, lits: [][]byte{[]byte("null")}}, nil
	case "array":
		n := &node{kind: kArray, items: &node{kind: kAny}, maxItems: -1}
		if it, ok := s["items"]; ok {
			c, err := compile(it, path+"/items")
			if err != nil {
				return nil, err
			}
			n.items = c
		}
		var err error
		if n.minItems, err = intKey(s, "minItems", 0, path); err != nil {
			return nil, err
		}
		if n.maxItems, err = intKey(s, "maxItems", -1, path); err != nil {
			return nil, err
		}
		if n.maxItems >= 0 && n.maxItems < n.minItems {
			return nil, fmt.Errorf("json schema: %s: maxItems %d is below minItems %d", path, n.maxItems, n.minItems)
		}
		return n, nil
	case "object":
		n := &node{kind: kObject, maxItems: -1}
		props, _ := s["properties"].(map[string]any)
		if _, ok := s["properties"]; ok && props == nil {
			return nil, fmt.Errorf("json schema: %s/properties: want an object", path)
		}
		if len(orderedKeys(s, props)) == 0 {
			n.free = true
			n.items = &node{kind: kAny}
			if ap, ok := s["additionalProperties"].(map[string]any); ok {
				c, err := compile(ap, path+"/additionalProperties")
				if err != nil {
					return nil, err
				}
				n.items = c
			}
			return n, nil
		}
		if ap, ok := s["additionalProperties"]; ok && ap != false {
			if m, ok := ap.(map[string]any); !ok || len(m) > 0 {
				return nil, fmt.Errorf("json schema: %s/additionalProperties: only false is supported alongside properties", path)
			}
		}
		req := map[string]bool{}
		if r, ok := s["required"].([]any); ok {
			for _, x := range r {
				if name, ok := x.(string); ok {
					if _, ok := props[name]; !ok {
						return nil, fmt.Errorf("json schema: %s/required: %q is not a property", path, name)
					}
					req[name] = true
				}
			}
		}
		// Properties in the order the schema's text lists them.
		names := orderedKeys(s, props)
		for _, name := range names {
			c, err := compile(props[name], path+"/properties/"+name)
			if err != nil {
				return nil, err
			}
			k, _ := json.Marshal(name)
			n.props = append(n.props, prop{key: k[1 : len(k)-1], required: req[name], n: c})
		}
		return n, nil
	}
	return nil, fmt.Errorf("json schema: %s/type: unsupported type %q", path, typ)
}

func intKey(s map[string]any, k string, def int, path string) (int, error) {
	v, ok := s[k]
	if !ok {
		return def, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("json schema: %s/%s: want an integer", path, k)
	}
	i, err := num.Int64()
	if err != nil || i < 0 || i > math.MaxInt32 {
		return 0, fmt.Errorf("json schema: %s/%s: want a non-negative integer", path, k)
	}
	return int(i), nil
}

// orderedKeys returns the property names sorted as the schema lists them
// (Go maps lose the order; json.Decoder of the properties object keeps it).
func orderedKeys(schema map[string]any, props map[string]any) []string {
	names := make([]string, 0, len(props))
	for k := range props {
		if k != orderKey {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if o, ok := props[orderKey].([]string); ok {
		return o
	}
	return names
}

// orderKey holds, in each decoded object, its keys in document order.
const orderKey = "\x00order"

// decodeOrdered decodes one JSON value like encoding/json into any (with
// json.Number), recording each object's key order under orderKey.
func decodeOrdered(d *json.Decoder, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("nested too deeply")
	}
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		var order []string
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := m[k]; !dup {
				order = append(order, k)
			}
			m[k] = v
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		m[orderKey] = order
		return m, nil
	case json.Delim('['):
		var l []any
		for d.More() {
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		if l == nil {
			l = []any{}
		}
		return l, nil
	}
	return t, nil
}

// frame is one level of the parse stack.
type frame struct {
	n    *node
	st   int
	idx  int    // object: next property; array: items so far; literal/number: bytes so far
	cand []byte // object: key typed so far (properties) / literal typed so far
	cur  int    // object: the property whose value is being read
}

// Matcher runs a Grammar over generated tokens.
type Matcher struct {
	g      *Grammar
	stacks [][]frame // one per alternative still possible
	pieces [][]byte
	eog    func(int32) bool
	tmp    []frame
	began  bool
}

// NewMatcher starts matching. pieces are the bytes of each token id; eog
// reports end-of-generation tokens, allowed only once the output is complete.
func (g *Grammar) NewMatcher(pieces [][]byte, eog func(int32) bool) *Matcher {
	m := &Matcher{g: g, pieces: pieces, eog: eog}
	for _, a := range g.alts {
		if a.kind == kSeq && len(a.parts) == 0 {
			m.stacks = append(m.stacks, nil) // the empty output
			continue
		}
		m.stacks = append(m.stacks, []frame{{n: a}})
	}
	return m
}

// Complete reports whether the output so far is a whole valid document.
func (m *Matcher) Complete() bool {
	for _, st := range m.stacks {
		if canEnd(st) {
			return true
		}
	}
	return false
}

// canEnd reports whether the value on top may end here and its ending
// ends every value below it.
func canEnd(stack []frame) bool {
	if len(stack) == 0 {
		return true
	}
	top := &stack[len(stack)-1]
	if !numberCanEnd(top) && !literalComplete(top) {
		return false
	}
	for i := len(stack) - 2; i >= 0; i-- {
		if f := &stack[i]; f.n.kind != kSeq || f.idx != len(f.n.parts)-1 {
			return false
		}
	}
	return true
}

// Mask sets the logits of the tokens the grammar cannot take next to -Inf.
func (m *Matcher) Mask(logits []float32) {
	inf := float32(math.Inf(-1))
	complete := m.Complete()
	for id := range logits {
		if m.eog != nil && m.eog(int32(id)) {
			if !complete {
				logits[id] = inf
			}
			continue
		}
		if id >= len(m.pieces) || len(m.pieces[id]) == 0 || !m.try(m.pieces[id]) {
			logits[id] = inf
		}
	}
}

// Accept advances past a sampled token and reports whether the document
// is finished (nothing more may follow).
func (m *Matcher) Accept(tok int32) bool {
	if m.eog != nil && m.eog(tok) {
		return true
	}
	if int(tok) >= len(m.pieces) {
		return m.finished()
	}
	var live [][]frame
	for _, st := range m.stacks {
		if len(st) == 0 {
			continue
		}
		if next, ok := feedAll(st, m.pieces[tok], m.began); ok {
			live = append(live, next)
		}
	}
	if len(live) > 0 {
		m.stacks = live
		m.began = true
	}
	return m.finished()
}

// finished: every remaining alternative is complete with nothing to add.
func (m *Matcher) finished() bool {
	for _, st := range m.stacks {
		if len(st) > 0 {
			return false
		}
	}
	return true
}

func (m *Matcher) try(b []byte) bool {
	for _, st := range m.stacks {
		if len(st) == 0 {
			continue
		}
		m.tmp = append(m.tmp[:0], st...)
		if _, ok := feedAll(m.tmp, b, m.began); ok {
			return true
		}
	}
	return false
}

func feedAll(stack []frame, b []byte, began bool) ([]frame, bool) {
	for _, c := range b {
		if !began && len(stack) == 1 && stack[0].st == 0 && (c == ' ' || c == '\n') {
			continue // leading whitespace before the document
		}
		began = true
		var ok bool
		if stack, ok = feed(stack, c); !ok {
			return stack, false
		}
	}
	return stack, true
}

// feed advances the stack by one byte. Frames are modified in place; the
// caller passes a copy when trying.
func feed(stack []frame, c byte) ([]frame, bool) {
	for {
		if len(stack) == 0 {
			return stack, false
		}
		f := &stack[len(stack)-1]
		res := step(f, c)
		switch res {
		case rReject:
			return stack, false
		case rConsumed:
			return stack, true
		case rDone: // consumed c and the value is complete
			return valueDone(stack[:len(stack)-1]), true
		case rEnded: // the value ended before c: pop, give c to the parent
			stack = valueDone(stack[:len(stack)-1])
			if len(stack) == 0 {
				return stack, false
			}
		case rPush:
			child := f.n.items
			if f.n.kind == kObject && !f.n.free {
				child = f.n.props[f.cur].n
			} else if f.n.kind == kSeq {
				child = f.n.parts[f.idx]
			}
			stack = append(stack, frame{n: child})
			// c starts the child value
		case rPushKey:
			stack = append(stack, frame{n: &node{kind: kString}})
			// c starts the key string
		}
	}
}

const (
	rReject = iota
	rConsumed
	rDone
	rEnded
	rPush
	rPushKey
)

// valueDone tells the parent (now on top) that its child value ended.
func valueDone(stack []frame) []frame {
	if len(stack) == 0 {
		return stack
	}
	f := &stack[len(stack)-1]
	switch f.n.kind {
	case kObject:
		if f.st == 10 { // a free object's key string ended
			f.st = 3
		} else {
			f.st = 5
		}
	case kArray:
		f.idx++
		f.st = 2
	case kSeq:
		f.idx++
		if f.idx == len(f.n.parts) {
			return valueDone(stack[:len(stack)-1])
		}
	}
	return stack
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func step(f *frame, c byte) int {
	n := f.n
	switch n.kind {
	case kAny:
		// Decide the value's kind from its first byte.
		switch {
		case c == '{':
			f.n = &node{kind: kObject, free: true, items: n, maxItems: -1}
		case c == '[':
			f.n = &node{kind: kArray, items: n, maxItems: -1}
		case c == '"':
			f.n = &node{kind: kString}
		case c == '-' || isDigit(c):
			f.n = &node{kind: kNumber}
		case c == 't' || c == 'f' || c == 'n':
			f.n = &node{kind: kLiteral, lits: [][]byte{[]byte("true"), []byte("false"), []byte("null")}}
		default:
			return rReject
		}
		return step(f, c)
	case kString:
		return stepString(f, c)
	case kNumber, kInteger:
		return stepNumber(f, c)
	case kLiteral:
		return stepLiteral(f, c)
	case kArray:
		switch f.st {
		case 0:
			if c != '[' {
				return rReject
			}
			f.st = 1
			return rConsumed
		case 1: // first item or ']'
			if c == ']' {
				if n.minItems > 0 {
					return rReject
				}
				return rDone
			}
			if n.maxItems == 0 {
				return rReject
			}
			return rPush
		case 2: // after an item
			if c == ']' && f.idx >= n.minItems {
				return rDone
			}
			if c == ',' && (n.maxItems < 0 || f.idx < n.maxItems) {
				f.st = 3
				return rConsumed
			}
			return rReject
		case 3:
			return rPush
		}
	case kObject:
		return stepObject(f, c)
	case kSeq:
		if f.idx < len(n.parts) {
			return rPush // c starts the next part
		}
		return rEnded
	}
	return rReject
}

func stepObject(f *frame, c byte) int {
	n := f.n
	switch f.st {
	case 0:
		if c != '{' {
			return rReject
		}
		f.st = 1
		return rConsumed
	case 1, 6: // a key or '}' (1: first; 6: after ',', a key must follow)
		if c == '}' && f.st == 1 && !requiredLeft(n, f.idx) {
			return rDone
		}
		if c != '"' {
			return rReject
		}
		if n.free {
			f.st = 10
			return rPushKey
		}
		f.st = 2
		f.cand = f.cand[:0]
		return rConsumed
	case 2: // typing a property name
		if c == '"' {
			for j := f.idx; j < len(n.props); j++ {
				if bytes.Equal(n.props[j].key, f.cand) {
					f.cur, f.idx, f.st = j, j+1, 3
					return rConsumed
				}
				if n.props[j].required {
					break
				}
			}
			return rReject
		}
		f.cand = append(f.cand, c)
		for j := f.idx; j < len(n.props); j++ {
			if bytes.HasPrefix(n.props[j].key, f.cand) {
				return rConsumed
			}
			if n.props[j].required {
				break
			}
		}
		return rReject
	case 3:
		if c != ':' {
			return rReject
		}
		f.st = 4
		return rConsumed
	case 4:
		return rPush
	case 5: // after a value
		if c == '}' && !requiredLeft(n, f.idx) {
			return rDone
		}
		if c == ',' && (n.free || f.idx < len(n.props)) {
			f.st = 6
			return rConsumed
		}
		return rReject
	}
	return rReject
}

func requiredLeft(n *node, from int) bool {
	for j := from; j < len(n.props); j++ {
		if n.props[j].required {
			return true
		}
	}
	return false
}

// String states: 0 before '"', 1 inside, 2 after '\', 3-6 \u digits.
func stepString(f *frame, c byte) int {
	switch f.st {
	case 0:
		if c != '"' {
			return rReject
		}
		f.st = 1
		return rConsumed
	case 1:
		switch {
		case c == '"':
			return rDone
		case c == '\\':
			f.st = 2
		case c < 0x20:
			return rReject
		}
		return rConsumed
	case 2:
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			f.st = 1
		case 'u':
			f.st = 3
		default:
			return rReject
		}
		return rConsumed
	default:
		if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') {
			return rReject
		}
		f.st++
		if f.st == 7 {
			f.st = 1
		}
		return rConsumed
	}
}

// Number states: 0 start, 1 after '-', 2 after a leading 0, 3 integer
// digits, 4 after '.', 5 fraction digits, 6 after e, 7 after e sign, 8
// exponent digits. idx counts digits to bound the length.
const maxDigits = 18

func numberCanEnd(f *frame) bool {
	if f.n.kind != kNumber && f.n.kind != kInteger {
		return false
	}
	return f.st == 2 || f.st == 3 || f.st == 5 || f.st == 8
}

func stepNumber(f *frame, c byte) int {
	integer := f.n.kind == kInteger
	if isDigit(c) {
		if f.st >= 6 {
			f.cur++ // exponent digits: at most 2, so that the value fits a float64
			if f.cur > 2 {
				return rReject
			}
		} else if f.idx++; f.idx > maxDigits {
			return rReject
		}
	}
	switch f.st {
	case 0, 1:
		switch {
		case c == '-' && f.st == 0:
			f.st = 1
		case c == '0':
			f.st = 2
		case isDigit(c):
			f.st = 3
		default:
			return rReject
		}
		return rConsumed
	case 2, 3:
		switch {
		case isDigit(c) && f.st == 3:
			return rConsumed
		case c == '.' && !integer:
			f.st = 4
			return rConsumed
		case (c == 'e' || c == 'E') && !integer:
			f.st = 6
			return rConsumed
		}
		return rEnded
	case 4:
		if isDigit(c) {
			f.st = 5
			return rConsumed
		}
		return rReject
	case 5:
		switch {
		case isDigit(c):
			return rConsumed
		case c == 'e' || c == 'E':
			f.st = 6
			return rConsumed
		}
		return rEnded
	case 6:
		switch {
		case c == '+' || c == '-':
			f.st = 7
		case isDigit(c):
			f.st = 8
		default:
			return rReject
		}
		return rConsumed
	case 7:
		if isDigit(c) {
			f.st = 8
			return rConsumed
		}
		return rReject
	case 8:
		if isDigit(c) {
			return rConsumed
		}
		return rEnded
	}
	return rReject
}

func literalComplete(f *frame) bool {
	if f.n.kind != kLiteral {
		return false
	}
	for _, l := range f.n.lits {
		if bytes.Equal(l, f.cand) {
			return true
		}
	}
	return false
}

func stepLiteral(f *frame, c byte) int {
	next := append(f.cand, c)
	prefix, longer := false, false
	for _, l := range f.n.lits {
		if bytes.HasPrefix(l, next) {
			prefix = true
			if len(l) > len(next) {
				longer = true
			}
		}
	}
	if !prefix {
		if literalComplete(f) {
			return rEnded
		}
		return rReject
	}
	f.cand = next
	if !longer {
		return rDone
	}
	return rConsumed
}

// plain removes the key-order records from a decoded value.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != orderKey {
				out[k] = plain(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}
