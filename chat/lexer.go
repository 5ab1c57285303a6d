package chat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokType int

const (
	tData tokType = iota
	tBlockBegin
	tBlockEnd
	tVarBegin
	tVarEnd
	tName
	tString
	tInt
	tFloat
	tOp
	tEOF
)

func (t tokType) String() string {
	return [...]string{"template data", "begin of statement block", "end of statement block",
		"begin of print statement", "end of print statement", "name", "string", "integer",
		"float", "operator", "end of template"}[t]
}

type token struct {
	typ  tokType
	val  string // name, op text, decoded string, data text
	num  any    // int64 or float64 for numbers
	line int
}

// SyntaxError is a template that Jinja2 would refuse to compile.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("TemplateSyntaxError: %s (line %d)", e.Msg, e.Line)
}

// normalizeSource mirrors Jinja2's lexer: lines are split as
// str.splitlines does, joined with "\n", and one trailing newline dropped
// (keep_trailing_newline=False).
func normalizeSource(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch r {
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				size = 2
			}
			b.WriteByte('\n')
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			b.WriteByte('\n')
		default:
			b.WriteString(src[i : i+size])
		}
		i += size
	}
	s := b.String()
	return strings.TrimSuffix(s, "\n")
}

func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85:
		return true
	}
	return r > 0x7f && unicode.IsSpace(r)
}

func rstripSpace(s string) string { return strings.TrimRightFunc(s, isPySpace) }

func lstripSpace(s string) string { return strings.TrimLeftFunc(s, isPySpace) }

type lexer struct {
	src    string
	pos    int
	line   int
	toks   []token
	lstrip bool
	trim   bool
}

func lex(src string) ([]token, error) {
	lx := &lexer{src: normalizeSource(src), line: 1, lstrip: true, trim: true}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

func (lx *lexer) errf(format string, a ...any) error {
	return &SyntaxError{Line: lx.line, Msg: fmt.Sprintf(format, a...)}
}

func (lx *lexer) emit(t tokType, val string) {
	lx.toks = append(lx.toks, token{typ: t, val: val, line: lx.line})
}

// findTag finds the next "{{", "{%" or "{#" at or after pos.
func (lx *lexer) findTag(from int) int {
	for i := from; i+1 < len(lx.src); i++ {
		if lx.src[i] == '{' {
			c := lx.src[i+1]
			if c == '{' || c == '%' || c == '#' {
				return i
			}
		}
	}
	return -1
}

// isRawBegin reports whether a "{% raw %}" tag starts at i; it returns the
// end of the tag and whether it had "-" before the closing "%}".
func (lx *lexer) matchWordTag(i int, word string) (end int, startSign byte, endStrip bool, ok bool) {
	s := lx.src
	if !strings.HasPrefix(s[i:], "{%") {
		return 0, 0, false, false
	}
	j := i + 2
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		startSign = s[j]
		j++
	}
	for j < len(s) && isASCIISpace(s[j]) {
		j++
	}
	if !strings.HasPrefix(s[j:], word) {
		return 0, 0, false, false
	}
	j += len(word)
	for j < len(s) && isASCIISpace(s[j]) {
		j++
	}
	if strings.HasPrefix(s[j:], "-%}") {
		return j + 3, startSign, true, true
	}
	if strings.HasPrefix(s[j:], "+%}") && word == "endraw" {
		return j + 3, startSign, false, true
	}
	if strings.HasPrefix(s[j:], "%}") {
		return j + 2, startSign, false, true
	}
	return 0, 0, false, false
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// stripBefore applies "-" and lstrip_blocks to the text preceding a tag.
func (lx *lexer) stripBefore(text string, sign byte, kind byte, lineStarting bool) string {
	if sign == '-' {
		return rstripSpace(text)
	}
	if sign != '+' && lx.lstrip && kind != '{' {
		lpos := strings.LastIndexByte(text, '\n') + 1
		if lpos > 0 || lineStarting {
			rest := text[lpos:]
			if rest != "" && strings.TrimFunc(rest, isPySpace) == "" {
				return text[:lpos]
			}
		}
	}
	return text
}

func (lx *lexer) run() error {
	s := lx.src
	lineStarting := true
	for lx.pos < len(s) {
		i := lx.findTag(lx.pos)
		if i < 0 {
			lx.emitData(s[lx.pos:])
			lx.pos = len(s)
			break
		}
		text := s[lx.pos:i]
		kind := s[i+1]
		sign := byte(0)
		tagLen := 2
		if i+2 < len(s) && (s[i+2] == '-' || s[i+2] == '+') {
			sign = s[i+2]
			tagLen = 3
		}
		// raw block
		if kind == '%' {
			if end, sg, endStrip, ok := lx.matchWordTag(i, "raw"); ok {
				text = lx.stripBefore(text, sg, '%', lineStarting)
				lx.emitData(text)
				lx.advanceLines(s[lx.pos:end])
				lx.pos = end
				if endStrip {
					for lx.pos < len(s) && isASCIISpace(s[lx.pos]) {
						if s[lx.pos] == '\n' {
							lx.line++
						}
						lx.pos++
					}
				}
				if err := lx.rawBody(); err != nil {
					return err
				}
				lineStarting = lx.pos > 0 && s[lx.pos-1] == '\n'
				continue
			}
		}
		if kind == '#' {
			text = lx.stripBefore(text, sign, '#', lineStarting)
			lx.emitData(text)
			lx.advanceLines(s[lx.pos:i])
			// find comment end
			j := strings.Index(s[i+tagLen:], "#}")
			if j < 0 {
				return lx.errf("missing end of comment tag")
			}
			j += i + tagLen
			end := j + 2
			c := s[j-1]
			if c == '-' && j-1 >= i+tagLen {
				for end < len(s) && isPySpaceByte(s, end) {
					end = skipSpaceRune(s, end)
				}
			} else if c == '+' && j-1 >= i+tagLen {
				// keep
			} else if lx.trim && end < len(s) && s[end] == '\n' {
				end++
			}
			lx.advanceLines(s[i:end])
			lx.pos = end
			lineStarting = s[end-1] == '\n'
			continue
		}
		text = lx.stripBefore(text, sign, kind, lineStarting)
		lx.emitData(text)
		lx.advanceLines(s[lx.pos:i])
		lx.pos = i + tagLen
		if kind == '%' {
			lx.emit(tBlockBegin, "")
		} else {
			lx.emit(tVarBegin, "")
		}
		if err := lx.lexTag(kind); err != nil {
			return err
		}
		lineStarting = lx.pos > 0 && s[lx.pos-1] == '\n'
	}
	lx.emit(tEOF, "")
	return nil
}

func isPySpaceByte(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isPySpace(r)
}

func skipSpaceRune(s string, i int) int {
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

func (lx *lexer) advanceLines(s string) { lx.line += strings.Count(s, "\n") }

func (lx *lexer) emitData(text string) {
	if text != "" {
		lx.emit(tData, text)
	}
}

// rawBody reads up to {% endraw %}.
func (lx *lexer) rawBody() error {
	s := lx.src
	for k := lx.pos; k < len(s); k++ {
		if s[k] != '{' {
			continue
		}
		end, sign, endStrip, ok := lx.matchWordTag(k, "endraw")
		if !ok {
			continue
		}
		text := s[lx.pos:k]
		if sign == '-' {
			text = rstripSpace(text)
		}
		lx.emitData(text)
		lx.advanceLines(s[lx.pos:end])
		lx.pos = end
		if endStrip {
			for lx.pos < len(s) && isPySpaceByte(s, lx.pos) {
				if s[lx.pos] == '\n' {
					lx.line++
				}
				lx.pos = skipSpaceRune(s, lx.pos)
			}
		} else if s[end-3] != '+' && lx.trim && lx.pos < len(s) && s[lx.pos] == '\n' {
			lx.pos++
			lx.line++
		}
		return nil
	}
	return lx.errf("Missing end of raw directive")
}

var operators = []string{"//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~",
	"[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"}

// lexTag lexes expression tokens up to the closing delimiter.
func (lx *lexer) lexTag(kind byte) error {
	s := lx.src
	var stack []byte
	endDelim := "}}"
	endTok := tVarEnd
	if kind == '%' {
		endDelim = "%}"
		endTok = tBlockEnd
	}
	for {
		if lx.pos >= len(s) {
			return lx.errf("unexpected end of template, expected '%s'", endDelim)
		}
		if len(stack) == 0 {
			// end delimiter, checked before anything else
			rest := s[lx.pos:]
			if strings.HasPrefix(rest, "-"+endDelim) {
				lx.pos += 3
				for lx.pos < len(s) && isPySpaceByte(s, lx.pos) {
					if s[lx.pos] == '\n' {
						lx.line++
					}
					lx.pos = skipSpaceRune(s, lx.pos)
				}
				lx.emit(endTok, "")
				return nil
			}
			if kind == '%' && strings.HasPrefix(rest, "+"+endDelim) {
				lx.pos += 3
				lx.emit(endTok, "")
				return nil
			}
			if strings.HasPrefix(rest, endDelim) {
				lx.pos += 2
				if kind == '%' && lx.trim && lx.pos < len(s) && s[lx.pos] == '\n' {
					lx.pos++
					lx.emit(endTok, "")
					lx.line++
					return nil
				}
				lx.emit(endTok, "")
				return nil
			}
		}
		r, size := utf8.DecodeRuneInString(s[lx.pos:])
		if isPySpace(r) {
			if r == '\n' {
				lx.line++
			}
			lx.pos += size
			continue
		}
		c := s[lx.pos]
		switch {
		case c >= '0' && c <= '9':
			if err := lx.lexNumber(); err != nil {
				return err
			}
			continue
		case c == '_' || unicode.IsLetter(r):
			j := lx.pos + size
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if r2 == '_' || unicode.IsLetter(r2) || unicode.IsDigit(r2) || unicode.Is(unicode.Mn, r2) || unicode.Is(unicode.Mc, r2) {
					j += sz
					continue
				}
				break
			}
			lx.emit(tName, s[lx.pos:j])
			lx.pos = j
			continue
		case c == '\'' || c == '"':
			if err := lx.lexString(c); err != nil {
				return err
			}
			continue
		}
		matched := ""
		for _, op := range operators {
			if strings.HasPrefix(s[lx.pos:], op) {
				matched = op
				break
			}
		}
		if matched == "" {
			return lx.errf("unexpected char %s at %d", strRepr(string(r)), lx.pos)
		}
		switch matched {
		case "(", "[", "{":
			stack = append(stack, matched[0])
		case ")", "]", "}":
			if len(stack) == 0 {
				return lx.errf("unexpected '%s'", matched)
			}
			want := map[byte]byte{'(': ')', '[': ']', '{': '}'}[stack[len(stack)-1]]
			if want != matched[0] {
				return lx.errf("unexpected '%s', expected '%c'", matched, want)
			}
			stack = stack[:len(stack)-1]
		}
		lx.emit(tOp, matched)
		lx.pos += len(matched)
	}
}

func (lx *lexer) lexNumber() error {
	s := lx.src
	start := lx.pos
	digits := func(j int, ok func(byte) bool) int {
		// (d+_)*d+
		if j >= len(s) || !ok(s[j]) {
			return -1
		}
		for j < len(s) {
			if ok(s[j]) {
				j++
			} else if s[j] == '_' && j+1 < len(s) && ok(s[j+1]) {
				j++
			} else {
				break
			}
		}
		return j
	}
	dec := func(b byte) bool { return b >= '0' && b <= '9' }
	// float?
	if start == 0 || s[start-1] != '.' {
		j := digits(start, dec)
		k := j
		isFloat := false
		if k < len(s) && s[k] == '.' {
			if e := digits(k+1, dec); e > 0 {
				k = e
				isFloat = true
			}
		}
		if k < len(s) && (s[k] == 'e' || s[k] == 'E') {
			m := k + 1
			if m < len(s) && (s[m] == '+' || s[m] == '-') {
				m++
			}
			if e := digits(m, dec); e > 0 {
				k = e
				isFloat = true
			}
		}
		if isFloat {
			txt := strings.ReplaceAll(s[start:k], "_", "")
			f, err := strconv.ParseFloat(txt, 64)
			if err != nil && !strings.Contains(err.Error(), "range") {
				return lx.errf("bad float %q", txt)
			}
			lx.toks = append(lx.toks, token{typ: tFloat, num: f, val: txt, line: lx.line})
			lx.pos = k
			return nil
		}
	}
	// integer
	base := 10
	j := start
	if s[start] == '0' && start+1 < len(s) {
		switch s[start+1] | 0x20 {
		case 'b':
			base = 2
		case 'o':
			base = 8
		case 'x':
			base = 16
		}
	}
	var txt string
	if base != 10 {
		j = start + 2
		k := j
		for k < len(s) {
			c := s[k] | 0x20
			ok := false
			switch base {
			case 2:
				ok = c == '0' || c == '1'
			case 8:
				ok = c >= '0' && c <= '7'
			case 16:
				ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
			}
			if ok || (s[k] == '_' && k+1 < len(s)) {
				k++
				continue
			}
			break
		}
		if k == j {
			base = 10
		} else {
			txt = strings.ReplaceAll(s[j:k], "_", "")
			j = k
		}
	}
	if base == 10 {
		if s[start] == '0' {
			j = start + 1
			for j < len(s) && (s[j] == '0' || (s[j] == '_' && j+1 < len(s) && s[j+1] == '0')) {
				j++
			}
		} else {
			j = digits(start, dec)
		}
		txt = strings.ReplaceAll(s[start:j], "_", "")
	}
	n, err := strconv.ParseInt(txt, base, 64)
	if err != nil {
		return lx.errf("integer literal %q too large", txt)
	}
	lx.toks = append(lx.toks, token{typ: tInt, num: n, val: txt, line: lx.line})
	lx.pos = j
	return nil
}

// lexString decodes a quoted literal as Python's "unicode-escape" codec does.
func (lx *lexer) lexString(q byte) error {
	s := lx.src
	j := lx.pos + 1
	for j < len(s) && s[j] != q {
		if s[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(s) {
		return lx.errf("unexpected char %s at %d", strRepr(string(q)), lx.pos)
	}
	raw := s[lx.pos+1 : j]
	lx.advanceLines(s[lx.pos : j+1])
	val, err := unescapePy(raw)
	if err != nil {
		return lx.errf("%s", err.Error())
	}
	lx.toks = append(lx.toks, token{typ: tString, val: val, line: lx.line})
	lx.pos = j + 1
	return nil
}

func unescapePy(raw string) (string, error) {
	if !strings.Contains(raw, "\\") {
		return raw, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		c = raw[i]
		switch c {
		case '\n':
		case '\\':
			b.WriteByte('\\')
		case '\'':
			b.WriteByte('\'')
		case '"':
			b.WriteByte('"')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+1+n <= len(raw) {
				if v, err := strconv.ParseUint(raw[i+1:i+1+n], 16, 32); err == nil && !strings.ContainsAny(raw[i+1:i+1+n], "+-_") {
					if v > unicode.MaxRune {
						return "", fmt.Errorf("illegal Unicode character")
					}
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			return "", fmt.Errorf("truncated \\%c%s escape", c, strings.Repeat("X", n))
		case 'N':
			end := strings.IndexByte(raw[i:], '}')
			if i+1 >= len(raw) || raw[i+1] != '{' || end < 0 {
				return "", fmt.Errorf("malformed \\N character escape")
			}
			return "", fmt.Errorf("unknown Unicode character name")
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := 0
			k := 0
			for k < 3 && i+k < len(raw) && raw[i+k] >= '0' && raw[i+k] <= '7' {
				v = v*8 + int(raw[i+k]-'0')
				k++
			}
			b.WriteRune(rune(v))
			i += k - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
