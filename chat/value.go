package chat

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values inside the engine are Python-like:
//
//	nil        None
//	bool       bool
//	int64      int
//	float64    float
//	string     str
//	*List      list or tuple
//	*Dict      dict (insertion ordered)
//	*Undefined jinja2.Undefined
//	*Callable  functions, bound methods, macros
//	*Namespace jinja2 namespace
//	*loopObj   the loop variable
//	*Iterator  generators and one-shot iterators
//	*rangeVal  range objects
//	*dictView  dict.items()/keys()/values()

// List is a Python list, or a tuple when Tuple is set.
type List struct {
	Items []any
	Tuple bool
}

// Dict is an insertion-ordered mapping, the engine's Python dict. The JSON
// decoder DecodeJSON returns it for objects so that key order is kept.
type Dict struct {
	keys  []any
	vals  []any
	index map[any]int
}

// NewDict returns an empty Dict.
func NewDict() *Dict { return &Dict{index: map[any]int{}} }

// hashKey normalises a key as Python's hash/eq would (1 == 1.0 == True).
func hashKey(k any) (any, error) {
	k = unmark(k)
	switch v := k.(type) {
	case nil, string, int64:
		return v, nil
	case bool:
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v), nil
		}
		return v, nil
	case *List:
		if v.Tuple {
			var b strings.Builder
			b.WriteString("\x00tuple:")
			for _, it := range v.Items {
				if b.Len() > 1<<20 {
					return nil, &pyError{"ValueError", "tuple key too large"}
				}
				h, err := hashKey(it)
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(&b, "%T:%v\x00", h, h)
			}
			return b.String(), nil
		}
	}
	return nil, &pyError{"TypeError", fmt.Sprintf("unhashable type: '%s'", typeName(k))}
}

// Set sets key to value, keeping the key's first insertion position.
func (d *Dict) Set(key, value any) {
	_ = d.set(key, value)
}

func (d *Dict) set(key, value any) error {
	h, err := hashKey(key)
	if err != nil {
		return err
	}
	if d.index == nil {
		d.index = map[any]int{}
	}
	if i, ok := d.index[h]; ok {
		d.vals[i] = value
		return nil
	}
	d.index[h] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, value)
	return nil
}

// Get returns the value stored under key.
func (d *Dict) Get(key any) (any, bool) {
	if d == nil {
		return nil, false
	}
	h, err := hashKey(key)
	if err != nil {
		return nil, false
	}
	i, ok := d.index[h]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Len is the number of keys.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.keys)
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any { return append([]any(nil), d.keys...) }

// Values returns the values in insertion order.
func (d *Dict) Values() []any { return append([]any(nil), d.vals...) }

// Undefined is jinja2.Undefined: printing gives "", most other uses raise.
type Undefined struct {
	name string
	obj  any
	hasO bool
	hint string
	exc  string // exception type raised on use ("" = UndefinedError)
}

func (u *Undefined) message() string {
	if u.hint != "" {
		return u.hint
	}
	if !u.hasO {
		return fmt.Sprintf("'%s' is undefined", u.name)
	}
	return fmt.Sprintf("%s has no attribute '%s'", objectTypeRepr(u.obj), u.name)
}

func (u *Undefined) err() error {
	e := u.exc
	if e == "" {
		e = "UndefinedError"
	}
	return &pyError{e, u.message()}
}

func objectTypeRepr(o any) string {
	if o == nil {
		return "None"
	}
	return fmt.Sprintf("'%s object'", typeName(o))
}

// Callable is a function value: a global, a bound method or a macro.
type Callable struct {
	Name string
	fn   func(ev *evaluator, args []any, kw *kwargs) (any, error)
	// macro metadata, for attribute access
	macro *macroVal
}

// Namespace is jinja2's namespace object.
type Namespace struct{ attrs *Dict }

// Iterator is a one-shot iterator (a Python generator or reversed()).
type Iterator struct {
	kind string
	next func() (any, bool, error)
	done bool
}

func (it *Iterator) Next() (any, bool, error) {
	if it.done {
		return nil, false, nil
	}
	v, ok, err := it.next()
	if !ok || err != nil {
		it.done = true
	}
	return v, ok, err
}

func sliceIter(kind string, items []any) *Iterator {
	i := 0
	return &Iterator{kind: kind, next: func() (any, bool, error) {
		if i >= len(items) {
			return nil, false, nil
		}
		i++
		return items[i-1], true, nil
	}}
}

type rangeVal struct{ start, stop, step int64 }

func (r *rangeVal) length() int64 {
	if r.step > 0 && r.start < r.stop {
		return (r.stop - r.start + r.step - 1) / r.step
	}
	if r.step < 0 && r.start > r.stop {
		return (r.start - r.stop - r.step - 1) / (-r.step)
	}
	return 0
}

type dictView struct {
	d    *Dict
	kind string // items, keys, values
}

func (v *dictView) items() []any {
	out := make([]any, len(v.d.keys))
	for i := range v.d.keys {
		switch v.kind {
		case "keys":
			out[i] = v.d.keys[i]
		case "values":
			out[i] = v.d.vals[i]
		default:
			out[i] = &List{Items: []any{v.d.keys[i], v.d.vals[i]}, Tuple: true}
		}
	}
	return out
}

// pyError is a Python exception: Type is its class name.
type pyError struct {
	Type string
	Msg  string
}

func (e *pyError) Error() string { return e.Type + ": " + e.Msg }

func typeErr(format string, a ...any) error {
	return &pyError{"TypeError", fmt.Sprintf(format, a...)}
}

func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *List:
		if v.Tuple {
			return "tuple"
		}
		return "list"
	case *Dict:
		return "dict"
	case *Undefined:
		return "Undefined"
	case *Callable:
		if v.macro != nil {
			return "Macro"
		}
		return "function"
	case *Namespace:
		return "Namespace"
	case *loopObj:
		return "LoopContext"
	case *Iterator:
		return v.kind
	case *rangeVal:
		return "range"
	case *dictView:
		return "dict_" + v.kind
	case *markup:
		return "Markup"
	case *cyclerVal:
		return "Cycler"
	case *joinerVal:
		return "Joiner"
	}
	return fmt.Sprintf("%T", v)
}

// fromGo converts caller-supplied Go values into engine values.
func fromGo(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, string, *List, *Dict, *Undefined, *Callable, *Namespace:
		return v
	case float64:
		// encoding/json turns every number into float64; Python's json
		// would have kept integers as int.
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case float32:
		return fromGo(float64(x))
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return int64(x)
	case uint64:
		return int64(x)
	case json.Number:
		return numberValue(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromGo(e)
		}
		return &List{Items: out}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := NewDict()
		for _, k := range keys {
			d.Set(k, fromGo(x[k]))
		}
		return d
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := NewDict()
		for _, k := range keys {
			d.Set(k, x[k])
		}
		return d
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return &List{Items: out}
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromGo(e)
		}
		return &List{Items: out}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = fromGo(rv.Index(i).Interface())
		}
		return &List{Items: out}
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			keys := rv.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			d := NewDict()
			for _, k := range keys {
				d.Set(k.String(), fromGo(rv.MapIndex(k).Interface()))
			}
			return d
		}
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Float32, reflect.Float64:
		return fromGo(rv.Float())
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return fromGo(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case *markup:
		return x.s != ""
	case *List:
		return len(x.Items) > 0
	case *Dict:
		return x.Len() > 0
	case *Undefined:
		return false
	case *rangeVal:
		return x.length() > 0
	case *dictView:
		return x.d.Len() > 0
	}
	return true
}

// pyStr is Python's str().
func pyStr(v any) string { return pyStrLimit(v, reprCap) }

func pyStrLimit(v any, limit int) string {
	switch x := v.(type) {
	case string:
		return x
	case *markup:
		return x.s
	case *Undefined:
		return ""
	}
	return pyReprLimit(v, limit)
}

// pyRepr is Python's repr().
func pyRepr(v any) string { return pyReprLimit(v, reprCap) }

// pyReprLimit is repr cut short once it passes limit bytes.
func pyReprLimit(v any, limit int) string {
	var b strings.Builder
	writeRepr(&b, limit, v, 0)
	return b.String()
}

// reprCap stops repr of values shared many times over (a list holding
// itself twice, nested 30 deep, has 2^30 leaves): past it the text is cut,
// and the output limit then reports the error.
const reprCap = defaultMaxOutput + 1

func writeRepr(b *strings.Builder, limit int, v any, depth int) {
	if depth > 200 || b.Len() > limit {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(floatRepr(x))
	case string:
		b.WriteString(strRepr(x))
	case *List:
		if x.Tuple {
			b.WriteByte('(')
		} else {
			b.WriteByte('[')
		}
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, limit, it, depth+1)
		}
		if x.Tuple {
			if len(x.Items) == 1 {
				b.WriteByte(',')
			}
			b.WriteByte(')')
		} else {
			b.WriteByte(']')
		}
	case *Dict:
		b.WriteByte('{')
		for i := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, limit, x.keys[i], depth+1)
			b.WriteString(": ")
			writeRepr(b, limit, x.vals[i], depth+1)
		}
		b.WriteByte('}')
	case *markup:
		b.WriteString("Markup(" + strRepr(x.s) + ")")
	case *Undefined:
		b.WriteString("Undefined")
	case *Namespace:
		b.WriteString("<Namespace ")
		writeRepr(b, limit, x.attrs, depth+1)
		b.WriteString(">")
	case *rangeVal:
		if x.step == 1 {
			fmt.Fprintf(b, "range(%d, %d)", x.start, x.stop)
		} else {
			fmt.Fprintf(b, "range(%d, %d, %d)", x.start, x.stop, x.step)
		}
	case *dictView:
		b.WriteString("dict_" + x.kind + "(")
		writeRepr(b, limit, &List{Items: x.items()}, depth+1)
		b.WriteString(")")
	case *Iterator:
		fmt.Fprintf(b, "<%s object at 0x7f0000000000>", x.kind)
	case *Callable:
		if x.macro != nil {
			fmt.Fprintf(b, "<Macro '%s'>", x.Name)
		} else {
			fmt.Fprintf(b, "<function %s>", x.Name)
		}
	case *loopObj:
		fmt.Fprintf(b, "<LoopContext %d/%d>", x.index+1, x.length)
	default:
		fmt.Fprintf(b, "<%s object>", typeName(v))
	}
}

// floatRepr is Python's float.__repr__.
func floatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expS, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expS)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := strconv.Itoa(abs(exp))
		if len(es) < 2 {
			es = "0" + es
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
		}
		out = m + "e" + sign + es
	} else if exp < 0 {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	} else {
		if len(digits) <= exp+1 {
			out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		} else {
			out = digits[:exp+1] + "." + digits[exp+1:]
		}
	}
	if neg {
		out = "-" + out
	}
	return out
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// pyPrintable approximates str.isprintable for one rune.
func pyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r < 0x20 || r == 0x7f {
		return false
	}
	return unicode.IsPrint(r)
}

func strRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case pyPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r < 0x10000:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyEqual is Python ==.
func pyEqual(a, b any) bool {
	budget := 1 << 22
	return pyEqualN(a, b, &budget)
}

// pyEqualN is pyEqual with a bound on the nodes visited.
func pyEqualN(a, b any, budget *int) bool {
	*budget--
	if *budget < 0 {
		return false
	}
	a, b = unmark(a), unmark(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, int64, float64:
		fa, okA := numOf(a)
		fb, okB := numOf(b)
		if okA && okB {
			ia, aInt := intOf(a)
			ib, bInt := intOf(b)
			if aInt && bInt {
				return ia == ib
			}
			return fa == fb
		}
		return false
	case string:
		y, ok := b.(string)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || x.Tuple != y.Tuple || len(x.Items) != len(y.Items) {
			return false
		}
		if x == y {
			return true
		}
		for i := range x.Items {
			if x.Items[i] != y.Items[i] && !pyEqualN(x.Items[i], y.Items[i], budget) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		for i, k := range x.keys {
			v2, ok := y.Get(k)
			if !ok || !pyEqualN(x.vals[i], v2, budget) {
				return false
			}
		}
		return true
	case *Undefined:
		_, ok := b.(*Undefined)
		return ok
	case *rangeVal:
		y, ok := b.(*rangeVal)
		return ok && *x == *y
	}
	return a == b
}

func numOf(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return x, true
	}
	return 0, false
}

// pyCompare orders a and b as Python's < does; it errors on unorderable types.
func pyCompare(a, b any, op string) (int, error) {
	a, b = unmark(a), unmark(b)
	if _, ok := numOf(a); ok {
		if _, ok := numOf(b); ok {
			ia, aI := intOf(a)
			ib, bI := intOf(b)
			if aI && bI {
				return cmpInt(ia, ib), nil
			}
			fa, _ := numOf(a)
			fb, _ := numOf(b)
			switch {
			case fa < fb:
				return -1, nil
			case fa > fb:
				return 1, nil
			}
			return 0, nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case *List:
		if y, ok := b.(*List); ok && x.Tuple == y.Tuple {
			for i := 0; i < len(x.Items) && i < len(y.Items); i++ {
				if pyEqual(x.Items[i], y.Items[i]) {
					continue
				}
				return pyCompare(x.Items[i], y.Items[i], op)
			}
			return cmpInt(int64(len(x.Items)), int64(len(y.Items))), nil
		}
	}
	if u, ok := a.(*Undefined); ok {
		return 0, u.err()
	}
	if u, ok := b.(*Undefined); ok {
		return 0, u.err()
	}
	return 0, typeErr("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
