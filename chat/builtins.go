package chat

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

type filterFn func(ev *evaluator, v any, args []any, kw *kwargs) (any, error)
type testFn func(ev *evaluator, v any, args []any, kw *kwargs) (any, error)

var (
	filters map[string]filterFn
	tests   map[string]testFn
	globals map[string]any
)

// reqArg marks a parameter without a default.
type reqArgT struct{}

var reqArg = reqArgT{}

// bindArgs binds positional and keyword arguments to named parameters,
// the way Python binds a call to a def with defaults.
func bindArgs(fname string, args []any, kw *kwargs, names []string, defs []any) ([]any, error) {
	out := make([]any, len(names))
	set := make([]bool, len(names))
	if len(args) > len(names) {
		return nil, typeErr("%s() takes at most %d arguments (%d given)", fname, len(names), len(args))
	}
	for i, a := range args {
		out[i], set[i] = a, true
	}
	if kw != nil {
		for _, k := range kw.names {
			found := false
			for i, n := range names {
				if n == k {
					if set[i] {
						return nil, typeErr("%s() got multiple values for argument '%s'", fname, k)
					}
					out[i], set[i] = kw.vals[k], true
					found = true
				}
			}
			if !found {
				return nil, typeErr("%s() got an unexpected keyword argument '%s'", fname, k)
			}
		}
	}
	for i := range names {
		if !set[i] {
			if defs[i] == reqArg {
				return nil, typeErr("%s() missing required argument: '%s'", fname, names[i])
			}
			out[i] = defs[i]
		}
	}
	return out, nil
}

func init() {
	filters = map[string]filterFn{
		"abs":         fAbs,
		"attr":        fAttr,
		"batch":       fBatch,
		"capitalize":  strFilter(func(s string) string { return pyCapitalize(s) }),
		"center":      fCenter,
		"count":       fLength,
		"d":           fDefault,
		"default":     fDefault,
		"dictsort":    fDictsort,
		"e":           fEscape,
		"escape":      fEscape,
		"first":       fFirst,
		"float":       fFloat,
		"forceescape": fForceEscape,
		"format":      fFormat,
		"groupby":     fGroupby,
		"indent":      fIndent,
		"int":         fInt,
		"items":       fItems,
		"join":        fJoin,
		"last":        fLast,
		"length":      fLength,
		"list":        fList,
		"lower":       strFilter(pyLower),
		"map":         fMap,
		"max":         fMinMax(1),
		"min":         fMinMax(-1),
		"pprint":      func(ev *evaluator, v any, a []any, kw *kwargs) (any, error) { return pyRepr(v), nil },
		"reject":      fSelect(false, false),
		"rejectattr":  fSelect(false, true),
		"replace":     fReplace,
		"reverse":     fReverse,
		"round":       fRound,
		"safe": func(ev *evaluator, v any, a []any, kw *kwargs) (any, error) {
			if m, ok := v.(*markup); ok {
				return m, nil
			}
			return &markup{softStr(v)}, nil
		},
		"select":         fSelect(true, false),
		"selectattr":     fSelect(true, true),
		"slice":          fSlice,
		"sort":           fSort,
		"string":         func(ev *evaluator, v any, a []any, kw *kwargs) (any, error) { return softStr(v), nil },
		"striptags":      fStriptags,
		"sum":            fSum,
		"title":          strFilter(jinjaTitle),
		"tojson":         fToJSON,
		"trim":           fTrim,
		"truncate":       fTruncate,
		"unique":         fUnique,
		"upper":          strFilter(pyUpper),
		"urlencode":      fURLEncode,
		"wordcount":      fWordcount,
		"wordwrap":       fWordwrap,
		"xmlattr":        fXMLAttr,
		"filesizeformat": fFilesize,
	}
	tests = map[string]testFn{
		"boolean":     simpleTest(func(v any) bool { _, ok := v.(bool); return ok }),
		"callable":    simpleTest(isCallable),
		"defined":     simpleTest(func(v any) bool { _, ok := v.(*Undefined); return !ok }),
		"undefined":   simpleTest(func(v any) bool { _, ok := v.(*Undefined); return ok }),
		"none":        simpleTest(func(v any) bool { return v == nil }),
		"false":       simpleTest(func(v any) bool { b, ok := v.(bool); return ok && !b }),
		"true":        simpleTest(func(v any) bool { b, ok := v.(bool); return ok && b }),
		"integer":     simpleTest(func(v any) bool { _, ok := v.(int64); return ok }),
		"float":       simpleTest(func(v any) bool { _, ok := v.(float64); return ok }),
		"number":      simpleTest(func(v any) bool { _, ok := numOf(v); return ok }),
		"string":      simpleTest(func(v any) bool { _, ok := v.(string); return ok }),
		"mapping":     simpleTest(func(v any) bool { _, ok := v.(*Dict); return ok }),
		"iterable":    simpleTest(isIterable),
		"sequence":    simpleTest(isSequence),
		"escaped":     simpleTest(func(v any) bool { return false }),
		"lower":       simpleTest(func(v any) bool { return pyIsLower(softStr(v)) }),
		"upper":       simpleTest(func(v any) bool { return pyIsUpper(softStr(v)) }),
		"odd":         intTest(func(n int64) bool { return n%2 != 0 }),
		"even":        intTest(func(n int64) bool { return n%2 == 0 }),
		"divisibleby": tDivisible,
		"sameas":      tSameas,
		"in":          tIn,
		"eq":          cmpTest("=="),
		"equalto":     cmpTest("=="),
		"==":          cmpTest("=="),
		"ne":          cmpTest("!="),
		"!=":          cmpTest("!="),
		"lt":          cmpTest("<"),
		"lessthan":    cmpTest("<"),
		"<":           cmpTest("<"),
		"le":          cmpTest("<="),
		"<=":          cmpTest("<="),
		"gt":          cmpTest(">"),
		"greaterthan": cmpTest(">"),
		">":           cmpTest(">"),
		"ge":          cmpTest(">="),
		">=":          cmpTest(">="),
		"filter": func(ev *evaluator, v any, a []any, kw *kwargs) (any, error) {
			s, ok := v.(string)
			_, found := filters[s]
			return ok && found, nil
		},
		"test": func(ev *evaluator, v any, a []any, kw *kwargs) (any, error) {
			s, ok := v.(string)
			_, found := tests[s]
			return ok && found, nil
		},
	}
	globals = map[string]any{
		"range":     &Callable{Name: "range", fn: gRange},
		"dict":      &Callable{Name: "dict", fn: gDict},
		"namespace": &Callable{Name: "namespace", fn: gNamespace},
		"cycler":    &Callable{Name: "cycler", fn: gCycler},
		"joiner":    &Callable{Name: "joiner", fn: gJoiner},
		"lipsum":    &Callable{Name: "lipsum", fn: gLipsum},
		"raise_exception": &Callable{Name: "raise_exception", fn: func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			a, err := bindArgs("raise_exception", args, kw, []string{"message"}, []any{reqArg})
			if err != nil {
				return nil, err
			}
			return nil, &TemplateError{Message: pyStr(a[0])}
		}},
		"strftime_now": &Callable{Name: "strftime_now", fn: func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			a, err := bindArgs("strftime_now", args, kw, []string{"format"}, []any{reqArg})
			if err != nil {
				return nil, err
			}
			s, ok := a[0].(string)
			if !ok {
				return nil, typeErr("strftime() argument 1 must be str, not %s", typeName(a[0]))
			}
			return strftime(ev.now, s), nil
		}},
	}
}

// TemplateError is raised by the template itself through raise_exception.
type TemplateError struct{ Message string }

func (e *TemplateError) Error() string { return "TemplateError: " + e.Message }

func softStr(v any) string { return pyStr(v) }

func strFilter(f func(string) string) filterFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		if len(args) > 0 || kw.len() > 0 {
			return nil, typeErr("filter takes no arguments")
		}
		return f(softStr(v)), nil
	}
}

func simpleTest(f func(any) bool) testFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		if len(args) > 0 || kw.len() > 0 {
			return nil, typeErr("test takes 1 positional argument but %d were given", 1+len(args))
		}
		return f(v), nil
	}
}

func intTest(f func(int64) bool) testFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		if u, ok := v.(*Undefined); ok {
			return nil, u.err()
		}
		n, ok := intOf(v)
		if !ok {
			if fl, isF := v.(float64); isF {
				return f(int64(math.Mod(fl, 2))), nil
			}
			return nil, typeErr("not all arguments converted during string formatting")
		}
		return f(n), nil
	}
}

func cmpTest(op string) testFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		a, err := bindArgs(op, args, kw, []string{"other"}, []any{reqArg})
		if err != nil {
			return nil, err
		}
		return ev.compare(op, v, a[0])
	}
}

func tDivisible(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("divisibleby", args, kw, []string{"num"}, []any{reqArg})
	if err != nil {
		return nil, err
	}
	r, err := ev.binop("%", v, a[0])
	if err != nil {
		return nil, err
	}
	return pyEqual(r, int64(0)), nil
}

func tSameas(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("sameas", args, kw, []string{"other"}, []any{reqArg})
	if err != nil {
		return nil, err
	}
	o := a[0]
	switch x := v.(type) {
	case nil:
		return o == nil, nil
	case bool:
		y, ok := o.(bool)
		return ok && x == y, nil
	case int64:
		y, ok := o.(int64)
		return ok && x == y && x >= -5 && x <= 256, nil
	case string:
		y, ok := o.(string)
		return ok && x == y, nil
	}
	return v == o, nil
}

func tIn(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("in", args, kw, []string{"seq"}, []any{reqArg})
	if err != nil {
		return nil, err
	}
	return ev.contains(a[0], v)
}

func isCallable(v any) bool {
	switch v.(type) {
	case *Callable, *joinerVal:
		return true
	case *loopObj:
		return true
	}
	return false
}

func isIterable(v any) bool {
	switch v.(type) {
	case string, *List, *Dict, *Undefined, *rangeVal, *dictView, *Iterator, *loopObj:
		return true
	}
	return false
}

func isSequence(v any) bool {
	switch v.(type) {
	case string, *List, *Dict, *Undefined, *rangeVal:
		return true
	}
	return false
}

// ---- filters ----

func fAbs(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case float64:
		return math.Abs(x), nil
	case *Undefined:
		return nil, x.err()
	}
	return nil, typeErr("bad operand type for abs(): '%s'", typeName(v))
}

func fAttr(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("attr", args, kw, []string{"name"}, []any{reqArg})
	if err != nil {
		return nil, err
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, typeErr("attribute name must be string")
	}
	switch o := v.(type) {
	case *Dict:
		if m, ok := dictMethod(o, name); ok {
			return m, nil
		}
		return &Undefined{name: name, obj: v, hasO: true}, nil
	}
	return ev.getAttr(v, name)
}

func fBatch(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("batch", args, kw, []string{"linecount", "fill_with"}, []any{reqArg, nil})
	if err != nil {
		return nil, err
	}
	n, ok := intOf(a[0])
	if !ok || n <= 0 {
		return nil, &pyError{"ValueError", "batch size must be a positive integer"}
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	var out []any
	for i := 0; i < len(items); i += int(n) {
		end := min(i+int(n), len(items))
		chunk := append([]any(nil), items[i:end]...)
		if a[1] != nil {
			for len(chunk) < int(n) {
				chunk = append(chunk, a[1])
			}
		}
		out = append(out, &List{Items: chunk})
	}
	return sliceIter("generator", out), nil
}

func fSlice(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("slice", args, kw, []string{"slices", "fill_with"}, []any{reqArg, nil})
	if err != nil {
		return nil, err
	}
	n, ok := intOf(a[0])
	if !ok || n <= 0 {
		return nil, &pyError{"ValueError", "slices must be positive"}
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	length := len(items)
	per := length / int(n)
	extra := length % int(n)
	offset := 0
	var out []any
	for i := 0; i < int(n); i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		chunk := append([]any(nil), items[start:end]...)
		if a[1] != nil && i >= extra {
			chunk = append(chunk, a[1])
		}
		out = append(out, &List{Items: chunk})
	}
	return sliceIter("generator", out), nil
}

func pyCapitalize(s string) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return s
	}
	return string(unicode.ToTitle(rs[0])) + strings.ToLower(string(rs[1:]))
}

var wordBeginSplit = regexp.MustCompile(`[-\s({\[<]+`)

func jinjaTitle(s string) string {
	var b strings.Builder
	last := 0
	word := func(w string) {
		if w == "" {
			return
		}
		rs := []rune(w)
		b.WriteString(strings.ToUpper(string(rs[0])))
		b.WriteString(strings.ToLower(string(rs[1:])))
	}
	for _, m := range wordBeginSplit.FindAllStringIndex(s, -1) {
		word(s[last:m[0]])
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	word(s[last:])
	return b.String()
}

func fCenter(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("center", args, kw, []string{"width"}, []any{int64(80)})
	if err != nil {
		return nil, err
	}
	w, ok := intOf(a[0])
	if !ok {
		return nil, typeErr("integer argument expected")
	}
	return pyCenter(softStr(v), int(w), " "), nil
}

func pyCenter(s string, width int, fill string) string {
	n := runeLen(s)
	if width <= n {
		return s
	}
	marg := width - n
	left := marg/2 + (marg & width & 1)
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, marg-left)
}

func fDefault(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("default", args, kw, []string{"default_value", "boolean"}, []any{"", false})
	if err != nil {
		return nil, err
	}
	if _, ok := v.(*Undefined); ok || (truthy(a[1]) && !truthy(v)) {
		return a[0], nil
	}
	return v, nil
}

func sortKey(v any, caseSensitive bool) any {
	if s, ok := v.(string); ok && !caseSensitive {
		return strings.ToLower(s)
	}
	return v
}

func sortValues(items []any, key func(any) (any, error), reverse bool) error {
	keys := make([]any, len(items))
	for i, it := range items {
		k, err := key(it)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var serr error
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := keys[idx[i]], keys[idx[j]]
		if reverse {
			a, b = b, a
		}
		c, err := pyCompare(a, b, "<")
		if err != nil && serr == nil {
			serr = err
		}
		return c < 0
	})
	if serr != nil {
		return serr
	}
	out := make([]any, len(items))
	for i, k := range idx {
		out[i] = items[k]
	}
	copy(items, out)
	return nil
}

func fDictsort(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("dictsort", args, kw, []string{"case_sensitive", "by", "reverse"}, []any{false, "key", false})
	if err != nil {
		return nil, err
	}
	d, ok := v.(*Dict)
	if !ok {
		if u, isU := v.(*Undefined); isU {
			return nil, u.err()
		}
		return nil, typeErr("'%s' object has no attribute 'items'", typeName(v))
	}
	pos := 0
	switch a[1] {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, &pyError{"FilterArgumentError", "You can only sort by either \"key\" or \"value\""}
	}
	items := (&dictView{d, "items"}).items()
	cs := truthy(a[0])
	err = sortValues(items, func(it any) (any, error) {
		return sortKey(it.(*List).Items[pos], cs), nil
	}, truthy(a[2]))
	if err != nil {
		return nil, err
	}
	return &List{Items: items}, nil
}

func fEscape(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	return escapeHTML(v), nil
}

func fForceEscape(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	return escapeHTML(pyStr(v)), nil
}

func fFirst(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	if it, ok := v.(*Iterator); ok {
		x, ok, err := it.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return &Undefined{hint: "No first item, sequence was empty."}, nil
		}
		return x, nil
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &Undefined{hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func fLast(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	switch v.(type) {
	case *Iterator, *Dict:
		return nil, typeErr("'%s' object is not reversible", typeName(v))
	}
	items, err := ev.iterate(v)
	if err != nil {
		if _, ok := v.(*Undefined); !ok {
			return nil, typeErr("'%s' object is not reversible", typeName(v))
		}
		return nil, err
	}
	if len(items) == 0 {
		return &Undefined{hint: "No last item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

func fFloat(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("float", args, kw, []string{"default"}, []any{0.0})
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case int64, bool:
		f, _ := numOf(x)
		return f, nil
	case float64:
		return x, nil
	case string:
		if f, ok := parsePyFloat(x); ok {
			return f, nil
		}
	}
	return a[0], nil
}

func parsePyFloat(s string) (float64, bool) {
	t := strings.TrimFunc(s, isPySpace)
	low := strings.ToLower(strings.TrimLeft(t, "+-"))
	switch low {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil
	}
	if strings.Contains(low, "0x") || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, false
	}
	return f, true
}

func fFormat(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	if len(args) > 0 && kw.len() > 0 {
		return nil, &pyError{"FilterArgumentError", "can't handle positional and keyword arguments at the same time"}
	}
	if kw.len() > 0 {
		d := NewDict()
		for _, k := range kw.names {
			d.Set(k, kw.vals[k])
		}
		return pyPercentFormat(softStr(v), d)
	}
	return pyPercentFormat(softStr(v), &List{Items: args, Tuple: true})
}

func fGroupby(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("groupby", args, kw, []string{"attribute", "default", "case_sensitive"}, []any{reqArg, nil, false})
	if err != nil {
		return nil, err
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	get := ev.attrGetter(a[0], a[1])
	cs := truthy(a[2])
	if err := sortValues(items, func(it any) (any, error) {
		k, err := get(it)
		return sortKey(k, cs), err
	}, false); err != nil {
		return nil, err
	}
	var out []any
	var cur *List
	var curKey any
	for _, it := range items {
		k, err := get(it)
		if err != nil {
			return nil, err
		}
		if cur == nil || !pyEqual(sortKey(k, cs), sortKey(curKey, cs)) {
			cur = &List{}
			curKey = k
			out = append(out, &List{Items: []any{k, cur}, Tuple: true})
		}
		cur.Items = append(cur.Items, it)
	}
	return &List{Items: out}, nil
}

// pySplitlines is str.splitlines().
func pySplitlines(s string, keepends bool) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= 0x80 {
			r, size = decodeRune(s[i:])
		}
		isNL := false
		end := i + size
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			isNL = true
		case '\r':
			isNL = true
			if end < len(s) && s[end] == '\n' {
				end++
			}
		}
		if isNL {
			if keepends {
				out = append(out, s[start:end])
			} else {
				out = append(out, s[start:i])
			}
			start = end
		}
		i = end
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func fIndent(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("indent", args, kw, []string{"width", "first", "blank"}, []any{int64(4), false, false})
	if err != nil {
		return nil, err
	}
	var ind string
	switch w := a[0].(type) {
	case string:
		ind = w
	default:
		n, ok := intOf(w)
		if !ok {
			return nil, typeErr("can't multiply sequence by non-int of type '%s'", typeName(w))
		}
		if n > 0 {
			ind = strings.Repeat(" ", int(min(n, 1<<20)))
		}
	}
	s, ok := v.(string)
	if !ok {
		if u, isU := v.(*Undefined); isU {
			return nil, u.err()
		}
		return nil, typeErr("unsupported operand type(s) for +=: '%s' and 'str'", typeName(v))
	}
	s += "\n"
	lines := pySplitlines(s, false)
	var rv string
	if truthy(a[2]) {
		rv = strings.Join(lines, "\n"+ind)
	} else {
		rv = lines[0]
		if len(lines) > 1 {
			parts := make([]string, len(lines)-1)
			for i, l := range lines[1:] {
				if l != "" {
					parts[i] = ind + l
				}
			}
			rv += "\n" + strings.Join(parts, "\n")
		}
	}
	if truthy(a[1]) {
		rv = ind + rv
	}
	return rv, nil
}

func parsePyInt(s string, base int) (int64, bool) {
	t := strings.TrimFunc(s, isPySpace)
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 0 || base == 16 || base == 8 || base == 2 {
		lt := strings.ToLower(t)
		for p, b := range map[string]int{"0x": 16, "0o": 8, "0b": 2} {
			if strings.HasPrefix(lt, p) && (base == 0 || base == b) {
				t, base = t[2:], b
				if strings.HasPrefix(t, "_") {
					t = t[1:]
				}
			}
		}
		if base == 0 {
			base = 10
		}
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func fInt(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("int", args, kw, []string{"default", "base"}, []any{int64(0), int64(10)})
	if err != nil {
		return nil, err
	}
	base, _ := intOf(a[1])
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case float64:
		if math.IsInf(x, 0) {
			return nil, &pyError{"OverflowError", "cannot convert float infinity to integer"}
		}
		if math.IsNaN(x) {
			return a[0], nil
		}
		if math.Abs(x) >= 9.2e18 {
			return nil, &pyError{"OverflowError", "integer overflow"}
		}
		return int64(x), nil
	case string:
		if n, ok := parsePyInt(x, int(base)); ok {
			return n, nil
		}
		if f, ok := parsePyFloat(x); ok && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 9.2e18 {
			return int64(f), nil
		}
	}
	return a[0], nil
}

func fItems(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	switch x := v.(type) {
	case *Undefined:
		return sliceIter("generator", nil), nil
	case *Dict:
		return sliceIter("generator", (&dictView{x, "items"}).items()), nil
	}
	return nil, typeErr("Can only get item pairs from a mapping.")
}

func fJoin(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("join", args, kw, []string{"d", "attribute"}, []any{"", nil})
	if err != nil {
		return nil, err
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	if a[1] != nil {
		get := ev.attrGetter(a[1], nil)
		for i, it := range items {
			items[i], err = get(it)
			if err != nil {
				return nil, err
			}
		}
	}
	parts := make([]string, len(items))
	total := 0
	for i, it := range items {
		parts[i] = softStr(it)
		total += len(parts[i])
		if total > ev.maxOutput {
			return nil, &LimitError{fmt.Sprintf("string exceeds %d bytes", ev.maxOutput)}
		}
	}
	return strings.Join(parts, softStr(a[0])), nil
}

func fLength(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	switch x := v.(type) {
	case string:
		return int64(runeLen(x)), nil
	case *List:
		return int64(len(x.Items)), nil
	case *Dict:
		return int64(x.Len()), nil
	case *Undefined:
		return int64(0), nil
	case *rangeVal:
		return x.length(), nil
	case *dictView:
		return int64(x.d.Len()), nil
	case *Namespace:
		return nil, typeErr("object of type 'Namespace' has no len()")
	case *loopObj:
		return int64(x.length), nil
	}
	return nil, typeErr("object of type '%s' has no len()", typeName(v))
}

func fList(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	return &List{Items: items}, nil
}

// attrGetter mirrors jinja2.filters.make_attrgetter: dotted paths,
// integer parts, and an optional default for undefined results.
func (ev *evaluator) attrGetter(attr any, def any) func(any) (any, error) {
	var parts []any
	if s, ok := attr.(string); ok {
		for _, p := range strings.Split(s, ".") {
			if n, err := strconv.Atoi(p); err == nil {
				parts = append(parts, int64(n))
			} else {
				parts = append(parts, p)
			}
		}
	} else {
		parts = []any{attr}
	}
	return func(item any) (any, error) {
		for _, p := range parts {
			v, err := ev.getItem(item, p)
			if err != nil {
				return nil, err
			}
			item = v
		}
		if _, ok := item.(*Undefined); ok && def != nil {
			return def, nil
		}
		return item, nil
	}
}

func fMap(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	if !truthy(v) {
		return sliceIter("generator", nil), nil
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	var fn func(any) (any, error)
	if len(args) == 0 && kw.has("attribute") {
		a, err := bindArgs("map", nil, kw, []string{"attribute", "default"}, []any{reqArg, nil})
		if err != nil {
			return nil, err
		}
		var def any
		if kw.has("default") {
			def = a[1]
		}
		get := ev.attrGetter(a[0], def)
		fn = get
	} else {
		if len(args) == 0 {
			return nil, typeErr("map requires a filter argument")
		}
		name, ok := args[0].(string)
		if !ok {
			return nil, typeErr("filter name must be a string")
		}
		f, ok := filters[name]
		if !ok {
			return nil, &pyError{"TemplateRuntimeError", fmt.Sprintf("No filter named '%s'.", name)}
		}
		rest := args[1:]
		fn = func(x any) (any, error) { return f(ev, x, rest, kw) }
	}
	i := 0
	return &Iterator{kind: "generator", next: func() (any, bool, error) {
		if i >= len(items) {
			return nil, false, nil
		}
		i++
		r, err := fn(items[i-1])
		if err != nil {
			return nil, false, err
		}
		return r, true, nil
	}}, nil
}

func fSelect(want, byAttr bool) filterFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		if !truthy(v) {
			return sliceIter("generator", nil), nil
		}
		items, err := ev.iterate(v)
		if err != nil {
			return nil, err
		}
		get := func(x any) (any, error) { return x, nil }
		if byAttr {
			if len(args) == 0 {
				return nil, &pyError{"FilterArgumentError", "Missing parameter for attribute name"}
			}
			get = ev.attrGetter(args[0], nil)
			args = args[1:]
		}
		test := func(x any) (bool, error) { return truthy(x), nil }
		if len(args) > 0 {
			name, ok := args[0].(string)
			if !ok {
				return nil, typeErr("test name must be a string")
			}
			t, ok := tests[name]
			if !ok {
				return nil, &pyError{"TemplateRuntimeError", fmt.Sprintf("No test named '%s'.", name)}
			}
			rest := args[1:]
			test = func(x any) (bool, error) {
				r, err := t(ev, x, rest, kw)
				return truthy(r), err
			}
		}
		i := 0
		return &Iterator{kind: "generator", next: func() (any, bool, error) {
			for i < len(items) {
				it := items[i]
				i++
				if err := ev.step(); err != nil {
					return nil, false, err
				}
				x, err := get(it)
				if err != nil {
					return nil, false, err
				}
				ok, err := test(x)
				if err != nil {
					return nil, false, err
				}
				if ok == want {
					return it, true, nil
				}
			}
			return nil, false, nil
		}}, nil
	}
}

func fMinMax(sign int) filterFn {
	return func(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
		a, err := bindArgs("max", args, kw, []string{"case_sensitive", "attribute"}, []any{false, nil})
		if err != nil {
			return nil, err
		}
		items, err := ev.iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &Undefined{hint: "No aggregated item, sequence was empty."}, nil
		}
		get := func(x any) (any, error) { return x, nil }
		if a[1] != nil {
			get = ev.attrGetter(a[1], nil)
		}
		cs := truthy(a[0])
		best := items[0]
		bk, err := get(best)
		if err != nil {
			return nil, err
		}
		bk = sortKey(bk, cs)
		for _, it := range items[1:] {
			k, err := get(it)
			if err != nil {
				return nil, err
			}
			k = sortKey(k, cs)
			c, err := pyCompare(k, bk, "<")
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best, bk = it, k
			}
		}
		return best, nil
	}
}

func fReplace(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("replace", args, kw, []string{"old", "new", "count"}, []any{reqArg, reqArg, nil})
	if err != nil {
		return nil, err
	}
	n := -1
	if a[2] != nil {
		c, ok := intOf(a[2])
		if !ok {
			return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a[2]))
		}
		n = int(c)
	}
	s := softStr(v)
	old, nw := softStr(a[0]), softStr(a[1])
	return pyReplace(ev, s, old, nw, n)
}

func pyReplace(ev *evaluator, s, old, nw string, n int) (any, error) {
	if n < 0 {
		n = -1
	}
	cnt := strings.Count(s, old)
	if n >= 0 && cnt > n {
		cnt = n
	}
	if len(s)+cnt*(len(nw)-len(old)) > ev.maxOutput {
		return nil, &LimitError{fmt.Sprintf("string exceeds %d bytes", ev.maxOutput)}
	}
	return strings.Replace(s, old, nw, n), nil
}

func fReverse(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	if s, ok := v.(string); ok {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs), nil
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, &pyError{"FilterArgumentError", "argument must be iterable"}
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	switch v.(type) {
	case *List:
		if v.(*List).Tuple {
			return sliceIter("reversed", items), nil
		}
		return sliceIter("list_reverseiterator", items), nil
	case *rangeVal:
		return sliceIter("range_iterator", items), nil
	case *Dict:
		return sliceIter("dict_reversekeyiterator", items), nil
	}
	return &List{Items: items}, nil
}

func fRound(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("round", args, kw, []string{"precision", "method"}, []any{int64(0), "common"})
	if err != nil {
		return nil, err
	}
	prec, ok := intOf(a[0])
	if !ok {
		return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a[0]))
	}
	method := softStr(a[1])
	if method != "common" && method != "ceil" && method != "floor" {
		return nil, &pyError{"FilterArgumentError", "method must be common, ceil or floor"}
	}
	if u, isU := v.(*Undefined); isU {
		return nil, u.err()
	}
	f, ok := numOf(v)
	if !ok {
		return nil, typeErr("type %s doesn't define __round__ method", typeName(v))
	}
	if method == "common" {
		if n, isInt := v.(int64); isInt {
			if prec >= 0 {
				return n, nil
			}
		}
		if prec > 300 || math.IsInf(f, 0) || math.IsNaN(f) {
			return f, nil
		}
		if prec >= 0 {
			r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', int(prec), 64), 64)
			return r, nil
		}
		p := math.Pow(10, float64(-prec))
		return math.RoundToEven(f/p) * p, nil
	}
	p := math.Pow(10, float64(prec))
	if method == "ceil" {
		return math.Ceil(f*p) / p, nil
	}
	return math.Floor(f*p) / p, nil
}

func fSort(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("sort", args, kw, []string{"reverse", "case_sensitive", "attribute"}, []any{false, false, nil})
	if err != nil {
		return nil, err
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	get := func(x any) (any, error) { return x, nil }
	if a[2] != nil {
		get = ev.attrGetter(a[2], nil)
	}
	cs := truthy(a[1])
	if err := sortValues(items, func(x any) (any, error) {
		k, err := get(x)
		return sortKey(k, cs), err
	}, truthy(a[0])); err != nil {
		return nil, err
	}
	return &List{Items: items}, nil
}

var tagRe = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)

func fStriptags(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	s := tagRe.ReplaceAllString(softStr(v), "")
	s = html.UnescapeString(s)
	return strings.Join(strings.Fields(s), " "), nil
}

func fSum(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("sum", args, kw, []string{"attribute", "start"}, []any{nil, int64(0)})
	if err != nil {
		return nil, err
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	acc := a[1]
	get := func(x any) (any, error) { return x, nil }
	if a[0] != nil {
		get = ev.attrGetter(a[0], nil)
	}
	for _, it := range items {
		x, err := get(it)
		if err != nil {
			return nil, err
		}
		if _, isStr := x.(string); isStr {
			return nil, typeErr("unsupported operand type(s) for +: '%s' and 'str'", typeName(acc))
		}
		acc, err = ev.binop("+", acc, x)
		if err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func fToJSON(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("tojson", args, kw, []string{"ensure_ascii", "indent", "separators", "sort_keys"}, []any{false, nil, nil, false})
	if err != nil {
		return nil, err
	}
	o := jsonOpts{ensureASCII: truthy(a[0]), sortKeys: truthy(a[3]), itemSep: ", ", keySep: ": ", limit: ev.maxOutput}
	if a[1] != nil {
		var ind string
		switch w := a[1].(type) {
		case string:
			ind = w
		default:
			n, ok := intOf(w)
			if !ok {
				return nil, typeErr("can't multiply sequence by non-int of type '%s'", typeName(w))
			}
			if n > 0 {
				ind = strings.Repeat(" ", int(min(n, 1024)))
			}
		}
		o.indent = &ind
		o.itemSep = ","
	}
	if a[2] != nil {
		items, err := ev.iterate(a[2])
		if err != nil {
			return nil, err
		}
		if len(items) != 2 {
			return nil, &pyError{"ValueError", fmt.Sprintf("too many values to unpack (expected 2)")}
		}
		is, ok1 := items[0].(string)
		ks, ok2 := items[1].(string)
		if !ok1 || !ok2 {
			return nil, typeErr("separators must be strings")
		}
		o.itemSep, o.keySep = is, ks
	}
	return pyJSONDumps(v, o)
}

func fTrim(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("trim", args, kw, []string{"chars"}, []any{nil})
	if err != nil {
		return nil, err
	}
	return pyStrip(softStr(v), a[0], 3)
}

// pyStrip is str.strip/lstrip/rstrip (sides: 1 left, 2 right, 3 both).
func pyStrip(s string, chars any, sides int) (string, error) {
	f := isPySpace
	if chars != nil {
		cs, ok := chars.(string)
		if !ok {
			return "", typeErr("strip arg must be None or str")
		}
		f = func(r rune) bool { return strings.ContainsRune(cs, r) }
	}
	if sides&1 != 0 {
		s = strings.TrimLeftFunc(s, f)
	}
	if sides&2 != 0 {
		s = strings.TrimRightFunc(s, f)
	}
	return s, nil
}

func fTruncate(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("truncate", args, kw, []string{"length", "killwords", "end", "leeway"}, []any{int64(255), false, "...", int64(5)})
	if err != nil {
		return nil, err
	}
	s := []rune(softStr(v))
	length, _ := intOf(a[0])
	leeway, _ := intOf(a[3])
	end := softStr(a[2])
	if length < int64(runeLen(end)) {
		return nil, &pyError{"AssertionError", fmt.Sprintf("expected length >= %d, got %d", runeLen(end), length)}
	}
	if int64(len(s)) <= length+leeway {
		return string(s), nil
	}
	cut := string(s[:length-int64(runeLen(end))])
	if truthy(a[1]) {
		return cut + end, nil
	}
	if i := strings.LastIndex(cut, " "); i >= 0 {
		cut = cut[:i]
	}
	return cut + end, nil
}

func fUnique(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("unique", args, kw, []string{"case_sensitive", "attribute"}, []any{false, nil})
	if err != nil {
		return nil, err
	}
	items, err := ev.iterate(v)
	if err != nil {
		return nil, err
	}
	get := func(x any) (any, error) { return x, nil }
	if a[1] != nil {
		get = ev.attrGetter(a[1], nil)
	}
	cs := truthy(a[0])
	seen := map[any]bool{}
	var out []any
	for _, it := range items {
		k, err := get(it)
		if err != nil {
			return nil, err
		}
		h, err := hashKey(sortKey(k, cs))
		if err != nil {
			return nil, err
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, it)
		}
	}
	return sliceIter("generator", out), nil
}

func fURLEncode(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	enc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("_.-~/", c) >= 0 {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String()
	}
	if d, ok := v.(*Dict); ok {
		var parts []string
		for i, k := range d.keys {
			parts = append(parts, enc(pyStr(k))+"="+enc(pyStr(d.vals[i])))
		}
		return strings.Join(parts, "&"), nil
	}
	return enc(softStr(v)), nil
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}_]+`)

func fWordcount(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	return int64(len(wordRe.FindAllString(softStr(v), -1))), nil
}

func fWordwrap(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("wordwrap", args, kw, []string{"width", "break_long_words", "wrapstring", "break_on_hyphens"}, []any{int64(79), true, nil, true})
	if err != nil {
		return nil, err
	}
	width, _ := intOf(a[0])
	sep := "\n"
	if a[2] != nil {
		sep = softStr(a[2])
	}
	var lines []string
	for _, para := range pySplitlines(softStr(v), false) {
		words := strings.Fields(para)
		cur := ""
		for _, w := range words {
			if cur == "" {
				cur = w
			} else if int64(runeLen(cur)+1+runeLen(w)) <= width {
				cur += " " + w
			} else {
				lines = append(lines, cur)
				cur = w
			}
		}
		lines = append(lines, cur)
	}
	return strings.Join(lines, sep), nil
}

func fXMLAttr(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	d, ok := v.(*Dict)
	if !ok {
		return nil, typeErr("xmlattr requires a mapping")
	}
	var parts []string
	for i, k := range d.keys {
		val := d.vals[i]
		if val == nil {
			continue
		}
		if _, u := val.(*Undefined); u {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=\"%s\"", pyStr(k), escapeHTML(val).s))
	}
	s := strings.Join(parts, " ")
	if s != "" && (len(args) == 0 || truthy(args[0])) {
		s = " " + s
	}
	return s, nil
}

func fFilesize(ev *evaluator, v any, args []any, kw *kwargs) (any, error) {
	f, ok := numOf(v)
	if !ok {
		return nil, typeErr("filesizeformat needs a number")
	}
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if len(args) > 0 && truthy(args[0]) {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if f == 1 {
		return "1 Byte", nil
	}
	if f < base {
		return fmt.Sprintf("%d Bytes", int64(f)), nil
	}
	unit := base
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		if f < unit || i == len(prefixes)-1 {
			return fmt.Sprintf("%.1f %s", base*f/unit, p), nil
		}
	}
	return "", nil
}

// ---- globals ----

func gRange(ev *evaluator, args []any, kw *kwargs) (any, error) {
	if kw.len() > 0 {
		return nil, typeErr("range() takes no keyword arguments")
	}
	var n [3]int64
	for i, a := range args {
		if i >= 3 {
			return nil, typeErr("range expected at most 3 arguments, got %d", len(args))
		}
		x, ok := intOf(a)
		if !ok {
			if u, isU := a.(*Undefined); isU {
				return nil, u.err()
			}
			return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a))
		}
		n[i] = x
	}
	var r *rangeVal
	switch len(args) {
	case 0:
		return nil, typeErr("range expected at least 1 argument, got 0")
	case 1:
		r = &rangeVal{0, n[0], 1}
	case 2:
		r = &rangeVal{n[0], n[1], 1}
	default:
		if n[2] == 0 {
			return nil, &pyError{"ValueError", "range() arg 3 must not be zero"}
		}
		r = &rangeVal{n[0], n[1], n[2]}
	}
	if r.length() > maxRange {
		return nil, &pyError{"OverflowError", fmt.Sprintf("Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)}
	}
	return r, nil
}

func gDict(ev *evaluator, args []any, kw *kwargs) (any, error) {
	d := NewDict()
	if len(args) > 1 {
		return nil, typeErr("dict expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		switch x := args[0].(type) {
		case *Dict:
			for i, k := range x.keys {
				d.Set(k, x.vals[i])
			}
		default:
			items, err := ev.iterate(x)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				pair, err := ev.iterate(it)
				if err != nil || len(pair) != 2 {
					return nil, &pyError{"ValueError", "dictionary update sequence element has wrong length"}
				}
				if err := d.set(pair[0], pair[1]); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, k := range kw.names {
		d.Set(k, kw.vals[k])
	}
	return d, nil
}

func gNamespace(ev *evaluator, args []any, kw *kwargs) (any, error) {
	v, err := gDict(ev, args, kw)
	if err != nil {
		return nil, err
	}
	return &Namespace{attrs: v.(*Dict)}, nil
}

type cyclerVal struct {
	items []any
	pos   int
}

func (c *cyclerVal) attr(name string) (any, bool) {
	switch name {
	case "current":
		return c.items[c.pos], true
	case "next":
		return &Callable{Name: "next", fn: func(ev *evaluator, a []any, kw *kwargs) (any, error) {
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		}}, true
	case "reset":
		return &Callable{Name: "reset", fn: func(ev *evaluator, a []any, kw *kwargs) (any, error) {
			c.pos = 0
			return nil, nil
		}}, true
	}
	return nil, false
}

func gCycler(ev *evaluator, args []any, kw *kwargs) (any, error) {
	if len(args) == 0 {
		return nil, typeErr("at least one item has to be provided")
	}
	return &cyclerVal{items: args}, nil
}

type joinerVal struct {
	sep   string
	begun bool
}

func (j *joinerVal) call() any {
	if !j.begun {
		j.begun = true
		return ""
	}
	return j.sep
}

func gJoiner(ev *evaluator, args []any, kw *kwargs) (any, error) {
	a, err := bindArgs("joiner", args, kw, []string{"sep"}, []any{", "})
	if err != nil {
		return nil, err
	}
	return &joinerVal{sep: softStr(a[0])}, nil
}

func gLipsum(ev *evaluator, args []any, kw *kwargs) (any, error) {
	return nil, &pyError{"NotImplementedError", "lipsum is random and not supported"}
}

// ---- methods of str, dict and list ----

func method(name string, fn func(ev *evaluator, args []any, kw *kwargs) (any, error)) *Callable {
	return &Callable{Name: name, fn: fn}
}

func unsafeAttr(obj any, name string) *Undefined {
	return &Undefined{name: name, obj: obj, hasO: true, exc: "SecurityError",
		hint: fmt.Sprintf("access to attribute '%s' of '%s' object is unsafe.", name, typeName(obj))}
}

func dictMethod(d *Dict, name string) (any, bool) {
	switch name {
	case "items", "keys", "values":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) > 0 || kw.len() > 0 {
				return nil, typeErr("dict.%s() takes no arguments", name)
			}
			return &dictView{d, name}, nil
		}), true
	case "get":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if kw.len() > 0 {
				return nil, typeErr("get() takes no keyword arguments")
			}
			if len(args) < 1 || len(args) > 2 {
				return nil, typeErr("get expected at most 2 arguments, got %d", len(args))
			}
			if _, err := hashKey(args[0]); err != nil {
				return nil, err
			}
			if v, ok := d.Get(args[0]); ok {
				return v, nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return nil, nil
		}), true
	case "copy":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			n := NewDict()
			for i, k := range d.keys {
				n.Set(k, d.vals[i])
			}
			return n, nil
		}), true
	case "pop", "popitem", "setdefault", "update", "clear":
		return unsafeAttr(d, name), true
	}
	return nil, false
}

func listMethod(l *List, name string) (any, bool) {
	switch name {
	case "index":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) < 1 {
				return nil, typeErr("index expected at least 1 argument, got 0")
			}
			for i, it := range l.Items {
				if pyEqual(it, args[0]) {
					return int64(i), nil
				}
			}
			return nil, &pyError{"ValueError", fmt.Sprintf("%s is not in list", pyRepr(args[0]))}
		}), true
	case "count":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) != 1 {
				return nil, typeErr("count() takes exactly one argument (%d given)", len(args))
			}
			n := int64(0)
			for _, it := range l.Items {
				if pyEqual(it, args[0]) {
					n++
				}
			}
			return n, nil
		}), true
	case "copy":
		if l.Tuple {
			return nil, false
		}
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			return &List{Items: append([]any(nil), l.Items...)}, nil
		}), true
	case "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear":
		if l.Tuple {
			return nil, false
		}
		return unsafeAttr(l, name), true
	}
	return nil, false
}

func strArg(fname string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", typeErr("%s arg must be None or str", fname)
	}
	return s, nil
}

func pyIsLower(s string) bool {
	cased := false
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsTitle(r) {
			return false
		}
		if unicode.IsLower(r) {
			cased = true
		}
	}
	return cased
}

func pyIsUpper(s string) bool {
	cased := false
	for _, r := range s {
		if unicode.IsLower(r) || unicode.IsTitle(r) {
			return false
		}
		if unicode.IsUpper(r) {
			cased = true
		}
	}
	return cased
}

func allRunes(s string, f func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
	}
	return b.String()
}

// pySplit is str.split(sep, maxsplit).
func pySplit(s string, sep any, maxsplit int64) ([]any, error) {
	var parts []string
	if sep == nil {
		rest := strings.TrimLeftFunc(s, isPySpace)
		for rest != "" {
			if maxsplit >= 0 && int64(len(parts)) >= maxsplit {
				parts = append(parts, rest)
				break
			}
			i := strings.IndexFunc(rest, isPySpace)
			if i < 0 {
				parts = append(parts, rest)
				break
			}
			parts = append(parts, rest[:i])
			rest = strings.TrimLeftFunc(rest[i:], isPySpace)
		}
	} else {
		sp, ok := sep.(string)
		if !ok {
			return nil, typeErr("must be str or None, not %s", typeName(sep))
		}
		if sp == "" {
			return nil, &pyError{"ValueError", "empty separator"}
		}
		n := -1
		if maxsplit >= 0 {
			n = int(min(maxsplit, 1<<30)) + 1
		}
		parts = strings.SplitN(s, sp, n)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func pyRSplit(s string, sep any, maxsplit int64) ([]any, error) {
	if maxsplit < 0 {
		return pySplit(s, sep, -1)
	}
	var parts []string
	if sep == nil {
		rest := strings.TrimRightFunc(s, isPySpace)
		for rest != "" {
			if int64(len(parts)) >= maxsplit {
				parts = append(parts, rest)
				break
			}
			i := strings.LastIndexFunc(rest, isPySpace)
			if i < 0 {
				parts = append(parts, rest)
				break
			}
			_, size := decodeRune(rest[i:])
			parts = append(parts, rest[i+size:])
			rest = strings.TrimRightFunc(rest[:i], isPySpace)
		}
	} else {
		sp, ok := sep.(string)
		if !ok {
			return nil, typeErr("must be str or None, not %s", typeName(sep))
		}
		if sp == "" {
			return nil, &pyError{"ValueError", "empty separator"}
		}
		rest := s
		for int64(len(parts)) < maxsplit {
			i := strings.LastIndex(rest, sp)
			if i < 0 {
				break
			}
			parts = append(parts, rest[i+len(sp):])
			rest = rest[:i]
		}
		parts = append(parts, rest)
	}
	out := make([]any, len(parts))
	for i := range parts {
		out[len(parts)-1-i] = parts[i]
	}
	return out, nil
}

func runeIndex(s string, byteIdx int) int64 {
	if byteIdx < 0 {
		return -1
	}
	return int64(runeLen(s[:byteIdx]))
}

// strMethod returns the bound method name of string s.
func strMethod(s string, name string) (any, bool) {
	m := func(names []string, defs []any, f func(ev *evaluator, a []any) (any, error)) *Callable {
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			a, err := bindArgs(name, args, kw, names, defs)
			if err != nil {
				return nil, err
			}
			return f(ev, a)
		})
	}
	switch name {
	case "strip", "lstrip", "rstrip":
		side := map[string]int{"strip": 3, "lstrip": 1, "rstrip": 2}[name]
		return m([]string{"chars"}, []any{nil}, func(ev *evaluator, a []any) (any, error) {
			return pyStrip(s, a[0], side)
		}), true
	case "upper":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyUpper(s), nil }), true
	case "lower", "casefold":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyLower(s), nil }), true
	case "title":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyTitle(s), nil }), true
	case "capitalize":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyCapitalize(s), nil }), true
	case "swapcase":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) {
			return strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, s), nil
		}), true
	case "split", "rsplit":
		return m([]string{"sep", "maxsplit"}, []any{nil, int64(-1)}, func(ev *evaluator, a []any) (any, error) {
			n, ok := intOf(a[1])
			if !ok {
				return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a[1]))
			}
			var items []any
			var err error
			if name == "split" {
				items, err = pySplit(s, a[0], n)
			} else {
				items, err = pyRSplit(s, a[0], n)
			}
			if err != nil {
				return nil, err
			}
			return &List{Items: items}, nil
		}), true
	case "splitlines":
		return m([]string{"keepends"}, []any{false}, func(ev *evaluator, a []any) (any, error) {
			lines := pySplitlines(s, truthy(a[0]))
			out := make([]any, len(lines))
			for i, l := range lines {
				out[i] = l
			}
			return &List{Items: out}, nil
		}), true
	case "startswith", "endswith":
		return m([]string{"prefix", "start", "end"}, []any{reqArg, nil, nil}, func(ev *evaluator, a []any) (any, error) {
			sub := s
			if a[1] != nil || a[2] != nil {
				var b [3]*int64
				if a[1] != nil {
					x, _ := intOf(a[1])
					b[0] = &x
				}
				if a[2] != nil {
					x, _ := intOf(a[2])
					b[1] = &x
				}
				rs := []rune(s)
				idx, _ := sliceIndices(len(rs), b)
				if len(idx) > 0 {
					sub = string(rs[idx[0] : idx[len(idx)-1]+1])
				} else {
					sub = ""
				}
			}
			var cands []any
			switch p := a[0].(type) {
			case string:
				cands = []any{p}
			case *List:
				if !p.Tuple {
					return nil, typeErr("%s first arg must be str or a tuple of str, not list", name)
				}
				cands = p.Items
			default:
				return nil, typeErr("%s first arg must be str or a tuple of str, not %s", name, typeName(a[0]))
			}
			for _, c := range cands {
				cs, ok := c.(string)
				if !ok {
					return nil, typeErr("tuple for %s must only contain str, not %s", name, typeName(c))
				}
				if name == "startswith" && strings.HasPrefix(sub, cs) || name == "endswith" && strings.HasSuffix(sub, cs) {
					return true, nil
				}
			}
			return false, nil
		}), true
	case "replace":
		return m([]string{"old", "new", "count"}, []any{reqArg, reqArg, int64(-1)}, func(ev *evaluator, a []any) (any, error) {
			o, err := strArg("replace", a[0])
			if err != nil {
				return nil, typeErr("replace() argument 1 must be str, not %s", typeName(a[0]))
			}
			n, err := strArg("replace", a[1])
			if err != nil {
				return nil, typeErr("replace() argument 2 must be str, not %s", typeName(a[1]))
			}
			c, _ := intOf(a[2])
			return pyReplace(ev, s, o, n, int(c))
		}), true
	case "format":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			return ev.pyStrFormat(s, args, kw)
		}), true
	case "format_map":
		return method(name, func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) != 1 {
				return nil, typeErr("format_map() takes exactly one argument")
			}
			d, ok := args[0].(*Dict)
			if !ok {
				return nil, typeErr("format_map() argument must be a mapping")
			}
			k := &kwargs{}
			for i, key := range d.keys {
				k.set(pyStr(key), d.vals[i])
			}
			return ev.pyStrFormat(s, nil, k)
		}), true
	case "join":
		return m([]string{"iterable"}, []any{reqArg}, func(ev *evaluator, a []any) (any, error) {
			items, err := ev.iterate(a[0])
			if err != nil {
				return nil, typeErr("can only join an iterable")
			}
			parts := make([]string, len(items))
			for i, it := range items {
				p, ok := it.(string)
				if !ok {
					return nil, typeErr("sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				parts[i] = p
			}
			return strings.Join(parts, s), nil
		}), true
	case "find", "rfind", "index", "rindex", "count":
		return m([]string{"sub", "start", "end"}, []any{reqArg, nil, nil}, func(ev *evaluator, a []any) (any, error) {
			sub, ok := a[0].(string)
			if !ok {
				return nil, typeErr("must be str, not %s", typeName(a[0]))
			}
			rs := []rune(s)
			var b [3]*int64
			if a[1] != nil {
				x, _ := intOf(a[1])
				b[0] = &x
			}
			if a[2] != nil {
				x, _ := intOf(a[2])
				b[1] = &x
			}
			idx, _ := sliceIndices(len(rs), b)
			off := 0
			hay := ""
			if len(idx) > 0 {
				off = idx[0]
				hay = string(rs[idx[0] : idx[len(idx)-1]+1])
			} else if b[0] != nil {
				off = int(*b[0])
				if off < 0 {
					off += len(rs)
				}
				if off > len(rs) {
					return int64(-1), nil
				}
			}
			if name == "count" {
				if sub == "" {
					return int64(runeLen(hay) + 1), nil
				}
				return int64(strings.Count(hay, sub)), nil
			}
			var i int
			if name == "find" || name == "index" {
				i = strings.Index(hay, sub)
			} else {
				i = strings.LastIndex(hay, sub)
			}
			if i < 0 {
				if name == "index" || name == "rindex" {
					return nil, &pyError{"ValueError", "substring not found"}
				}
				return int64(-1), nil
			}
			return runeIndex(hay, i) + int64(off), nil
		}), true
	case "isdigit", "isdecimal", "isnumeric":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return allRunes(s, unicode.IsDigit), nil }), true
	case "isalpha":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return allRunes(s, unicode.IsLetter), nil }), true
	case "isalnum":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) {
			return allRunes(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }), nil
		}), true
	case "isspace":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return allRunes(s, isPySpace), nil }), true
	case "islower":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyIsLower(s), nil }), true
	case "isupper":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) { return pyIsUpper(s), nil }), true
	case "istitle":
		return m(nil, nil, func(ev *evaluator, a []any) (any, error) {
			return s != "" && pyTitle(s) == s && strings.ToLower(s) != s, nil
		}), true
	case "center", "ljust", "rjust":
		return m([]string{"width", "fillchar"}, []any{reqArg, " "}, func(ev *evaluator, a []any) (any, error) {
			w, ok := intOf(a[0])
			if !ok {
				return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a[0]))
			}
			fill, ok := a[1].(string)
			if !ok || runeLen(fill) != 1 {
				return nil, typeErr("The fill character must be exactly one character long")
			}
			w = min(w, int64(ev.maxOutput))
			n := int64(runeLen(s))
			if w <= n {
				return s, nil
			}
			switch name {
			case "ljust":
				return s + strings.Repeat(fill, int(w-n)), nil
			case "rjust":
				return strings.Repeat(fill, int(w-n)) + s, nil
			}
			return pyCenter(s, int(w), fill), nil
		}), true
	case "zfill":
		return m([]string{"width"}, []any{reqArg}, func(ev *evaluator, a []any) (any, error) {
			w, _ := intOf(a[0])
			w = min(w, int64(ev.maxOutput))
			n := int64(runeLen(s))
			if w <= n {
				return s, nil
			}
			sign := ""
			body := s
			if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
				sign, body = s[:1], s[1:]
			}
			return sign + strings.Repeat("0", int(w-n)) + body, nil
		}), true
	case "partition", "rpartition":
		return m([]string{"sep"}, []any{reqArg}, func(ev *evaluator, a []any) (any, error) {
			sep, ok := a[0].(string)
			if !ok {
				return nil, typeErr("must be str, not %s", typeName(a[0]))
			}
			if sep == "" {
				return nil, &pyError{"ValueError", "empty separator"}
			}
			var i int
			if name == "partition" {
				i = strings.Index(s, sep)
			} else {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if name == "partition" {
					return &List{Items: []any{s, "", ""}, Tuple: true}, nil
				}
				return &List{Items: []any{"", "", s}, Tuple: true}, nil
			}
			return &List{Items: []any{s[:i], sep, s[i+len(sep):]}, Tuple: true}, nil
		}), true
	case "removeprefix", "removesuffix":
		return m([]string{"affix"}, []any{reqArg}, func(ev *evaluator, a []any) (any, error) {
			p, ok := a[0].(string)
			if !ok {
				return nil, typeErr("must be str, not %s", typeName(a[0]))
			}
			if name == "removeprefix" {
				return strings.TrimPrefix(s, p), nil
			}
			return strings.TrimSuffix(s, p), nil
		}), true
	case "expandtabs":
		return m([]string{"tabsize"}, []any{int64(8)}, func(ev *evaluator, a []any) (any, error) {
			ts, _ := intOf(a[0])
			var b strings.Builder
			col := int64(0)
			for _, r := range s {
				switch r {
				case '\t':
					if ts > 0 {
						n := ts - col%ts
						b.WriteString(strings.Repeat(" ", int(n)))
						col += n
					}
				case '\n', '\r':
					b.WriteRune(r)
					col = 0
				default:
					b.WriteRune(r)
					col++
				}
			}
			return b.String(), nil
		}), true
	}
	return nil, false
}
