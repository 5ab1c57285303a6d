package chat

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ---- json.dumps ----

type jsonOpts struct {
	ensureASCII bool
	indent      *string
	itemSep     string
	keySep      string
	sortKeys    bool
	limit       int
}

func pyJSONDumps(v any, o jsonOpts) (string, error) {
	var b strings.Builder
	if err := jsonEncode(&b, v, o, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func jsonString(b *strings.Builder, s string, ascii bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r > 0x7e:
				if r >= 0x10000 {
					r -= 0x10000
					fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				} else {
					fmt.Fprintf(b, `\u%04x`, r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return floatRepr(f)
}

func jsonEncode(b *strings.Builder, v any, o jsonOpts, level int) error {
	if level > 500 {
		return &pyError{"RecursionError", "maximum recursion depth exceeded while encoding a JSON object"}
	}
	if o.limit > 0 && b.Len() > o.limit {
		return &LimitError{fmt.Sprintf("JSON exceeds %d bytes", o.limit)}
	}
	newline := func(l int) {
		if o.indent != nil {
			b.WriteByte('\n')
			for i := 0; i < l; i++ {
				b.WriteString(*o.indent)
			}
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(jsonFloat(x))
	case string:
		jsonString(b, x, o.ensureASCII)
	case *List:
		if len(x.Items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(level + 1)
			if err := jsonEncode(b, it, o, level+1); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := x.keys
		vals := x.vals
		if o.sortKeys {
			idx := make([]int, len(keys))
			for i := range idx {
				idx[i] = i
			}
			var serr error
			sort.SliceStable(idx, func(i, j int) bool {
				c, err := pyCompare(keys[idx[i]], keys[idx[j]], "<")
				if err != nil && serr == nil {
					serr = err
				}
				return c < 0
			})
			if serr != nil {
				return serr
			}
			nk := make([]any, len(keys))
			nv := make([]any, len(keys))
			for i, k := range idx {
				nk[i], nv[i] = keys[k], vals[k]
			}
			keys, vals = nk, nv
		}
		b.WriteByte('{')
		for i, k := range keys {
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			case float64:
				ks = jsonFloat(kk)
			case bool:
				ks = map[bool]string{true: "true", false: "false"}[kk]
			case nil:
				ks = "null"
			case int64:
				ks = strconv.FormatInt(kk, 10)
			default:
				return typeErr("keys must be str, int, float, bool or None, not %s", typeName(k))
			}
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(level + 1)
			jsonString(b, ks, o.ensureASCII)
			b.WriteString(o.keySep)
			if err := jsonEncode(b, vals[i], o, level+1); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte('}')
	default:
		return typeErr("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

// ---- printf-style "%" formatting ----

func pyPercentFormat(format string, arg any) (any, error) {
	var args []any
	var mapping *Dict
	switch a := arg.(type) {
	case *List:
		if a.Tuple {
			args = a.Items
		} else {
			args = []any{a}
		}
	case *Dict:
		mapping = a
		args = []any{a}
	default:
		args = []any{arg}
	}
	argi := 0
	usedMapping := false
	nextArg := func() (any, error) {
		if argi >= len(args) {
			return nil, typeErr("not enough arguments for format string")
		}
		argi++
		return args[argi-1], nil
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return nil, &pyError{"ValueError", "incomplete format"}
		}
		var val any
		haveVal := false
		if format[i] == '(' {
			j := strings.IndexByte(format[i:], ')')
			if j < 0 {
				return nil, &pyError{"ValueError", "incomplete format key"}
			}
			key := format[i+1 : i+j]
			i += j + 1
			if mapping == nil {
				return nil, typeErr("format requires a mapping")
			}
			v, ok := mapping.Get(key)
			if !ok {
				return nil, &pyError{"KeyError", strRepr(key)}
			}
			val, haveVal, usedMapping = v, true, true
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			flags += string(format[i])
			i++
		}
		width := -1
		if i < len(format) && format[i] == '*' {
			w, err := nextArg()
			if err != nil {
				return nil, err
			}
			n, _ := intOf(w)
			width = int(n)
			i++
		} else {
			st := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if i > st {
				width, _ = strconv.Atoi(format[st:i])
			}
		}
		prec := -1
		if i < len(format) && format[i] == '.' {
			i++
			st := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			prec, _ = strconv.Atoi(format[st:i])
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return nil, &pyError{"ValueError", "incomplete format"}
		}
		conv := format[i]
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveVal {
			v, err := nextArg()
			if err != nil {
				return nil, err
			}
			val = v
		}
		s, err := formatOne(conv, flags, prec, val)
		if err != nil {
			return nil, err
		}
		if width > runeLen(s) {
			pad := width - runeLen(s)
			switch {
			case strings.Contains(flags, "-"):
				s += strings.Repeat(" ", pad)
			case strings.Contains(flags, "0") && strings.IndexByte("sr", conv) < 0:
				sign := ""
				if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
					sign, s = s[:1], s[1:]
				}
				s = sign + strings.Repeat("0", pad) + s
			default:
				s = strings.Repeat(" ", pad) + s
			}
		}
		b.WriteString(s)
	}
	if argi < len(args) && mapping == nil {
		return nil, typeErr("not all arguments converted during string formatting")
	}
	_ = usedMapping
	return b.String(), nil
}

func formatOne(conv byte, flags string, prec int, val any) (string, error) {
	if u, ok := val.(*Undefined); ok && conv != 's' {
		return "", u.err()
	}
	sign := func(neg bool, s string) string {
		if neg {
			return "-" + s
		}
		if strings.Contains(flags, "+") {
			return "+" + s
		}
		if strings.Contains(flags, " ") {
			return " " + s
		}
		return s
	}
	switch conv {
	case 's', 'r', 'a':
		s := pyStr(val)
		if conv != 's' {
			s = pyRepr(val)
		}
		if prec >= 0 && prec < runeLen(s) {
			s = string([]rune(s)[:prec])
		}
		return s, nil
	case 'd', 'i', 'u':
		switch x := val.(type) {
		case int64, bool:
			n, _ := intOf(x)
			return sign(n < 0, strconv.FormatUint(absU(n), 10)), nil
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return "", &pyError{"OverflowError", "cannot convert float infinity to integer"}
			}
			t := math.Trunc(x)
			return sign(t < 0, strconv.FormatFloat(math.Abs(t), 'f', 0, 64)), nil
		}
		return "", typeErr("%%%c format: a real number is required, not %s", conv, typeName(val))
	case 'x', 'X', 'o':
		n, ok := intOf(val)
		if !ok {
			return "", typeErr("%%%c format: an integer is required, not %s", conv, typeName(val))
		}
		base := 16
		if conv == 'o' {
			base = 8
		}
		s := strconv.FormatUint(absU(n), base)
		if strings.Contains(flags, "#") {
			s = "0" + map[byte]string{'x': "x", 'X': "X", 'o': "o"}[conv] + s
		}
		if conv == 'X' {
			s = strings.ToUpper(s)
		}
		return sign(n < 0, s), nil
	case 'f', 'F', 'e', 'E', 'g', 'G':
		f, ok := numOf(val)
		if !ok {
			return "", typeErr("must be real number, not %s", typeName(val))
		}
		if prec < 0 {
			prec = 6
		}
		return sign(math.Signbit(f) && !math.IsNaN(f), pyFloatFmt(math.Abs(f), conv, prec, strings.Contains(flags, "#"))), nil
	case 'c':
		switch x := val.(type) {
		case string:
			if runeLen(x) != 1 {
				return "", typeErr("%%c requires int or char")
			}
			return x, nil
		case int64:
			return string(rune(x)), nil
		}
		return "", typeErr("%%c requires int or char")
	}
	return "", &pyError{"ValueError", fmt.Sprintf("unsupported format character '%c'", conv)}
}

func absU(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

// pyFloatFmt formats a non-negative float like Python's %f/%e/%g.
func pyFloatFmt(f float64, conv byte, prec int, alt bool) string {
	if math.IsInf(f, 0) {
		if conv >= 'a' {
			return "inf"
		}
		return "INF"
	}
	if math.IsNaN(f) {
		if conv >= 'a' {
			return "nan"
		}
		return "NAN"
	}
	var s string
	switch conv {
	case 'f', 'F':
		s = strconv.FormatFloat(f, 'f', prec, 64)
	case 'e', 'E':
		s = fixExp(strconv.FormatFloat(f, 'e', prec, 64))
	case 'g', 'G':
		if prec == 0 {
			prec = 1
		}
		e := strconv.FormatFloat(f, 'e', prec-1, 64)
		_, es, _ := strings.Cut(e, "e")
		exp, _ := strconv.Atoi(es)
		if exp < -4 || exp >= prec {
			s = fixExp(e)
			if !alt {
				m, ex, _ := strings.Cut(s, "e")
				if strings.Contains(m, ".") {
					m = strings.TrimRight(strings.TrimRight(m, "0"), ".")
				}
				s = m + "e" + ex
			}
		} else {
			s = strconv.FormatFloat(f, 'f', prec-1-exp, 64)
			if !alt && strings.Contains(s, ".") {
				s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			}
		}
	}
	if conv == 'E' || conv == 'G' || conv == 'F' {
		s = strings.ToUpper(s)
	}
	return s
}

// fixExp turns Go's "e+5" exponent into Python's two-digit "e+05".
func fixExp(s string) string {
	m, e, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	sign := e[:1]
	digits := e[1:]
	if len(digits) < 2 {
		digits = "0" + digits
	}
	return m + "e" + sign + digits
}

// ---- str.format ----

func (ev *evaluator) pyStrFormat(format string, args []any, kw *kwargs) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '}' {
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", &pyError{"ValueError", "Single '}' encountered in format string"}
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		// find matching '}' (allowing one nested level in the spec)
		depth := 1
		j := i + 1
		for ; j < len(format) && depth > 0; j++ {
			if format[j] == '{' {
				depth++
			} else if format[j] == '}' {
				depth--
			}
		}
		if depth != 0 {
			return "", &pyError{"ValueError", "expected '}' before end of string"}
		}
		field := format[i+1 : j-1]
		i = j - 1
		spec := ""
		conv := byte(0)
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, spec = field[:k], field[k+1:]
		}
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+1 < len(field) {
				conv = field[k+1]
			}
			field = field[:k]
		}
		// first part of the field name
		k := strings.IndexAny(field, ".[")
		first := field
		rest := ""
		if k >= 0 {
			first, rest = field[:k], field[k:]
		}
		var val any
		if first == "" {
			if auto >= len(args) {
				return "", &pyError{"IndexError", fmt.Sprintf("Replacement index %d out of range for positional args tuple", auto)}
			}
			val = args[auto]
			auto++
		} else if n, err := strconv.Atoi(first); err == nil {
			if n >= len(args) {
				return "", &pyError{"IndexError", fmt.Sprintf("Replacement index %d out of range for positional args tuple", n)}
			}
			val = args[n]
		} else {
			v, ok := kw.get(first)
			if !ok {
				return "", &pyError{"KeyError", strRepr(first)}
			}
			val = v
		}
		for rest != "" {
			if rest[0] == '.' {
				e := strings.IndexAny(rest[1:], ".[")
				name := rest[1:]
				if e >= 0 {
					name = rest[1 : e+1]
					rest = rest[e+1:]
				} else {
					rest = ""
				}
				v, err := ev.getAttr(val, name)
				if err != nil {
					return "", err
				}
				val = v
			} else {
				e := strings.IndexByte(rest, ']')
				if e < 0 {
					return "", &pyError{"ValueError", "Missing ']' in format string"}
				}
				key := rest[1:e]
				rest = rest[e+1:]
				var kv any = key
				if n, err := strconv.Atoi(key); err == nil {
					kv = int64(n)
				}
				v, err := ev.getItem(val, kv)
				if err != nil {
					return "", err
				}
				val = v
			}
		}
		if strings.Contains(spec, "{") {
			s, err := ev.pyStrFormat(spec, args[min(auto, len(args)):], kw)
			if err != nil {
				return "", err
			}
			spec = s
		}
		switch conv {
		case 'r', 'a':
			val = pyRepr(val)
		case 's':
			val = pyStr(val)
		}
		s, err := formatSpec(val, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// formatSpec applies a format-spec mini-language string to a value.
func formatSpec(val any, spec string) (string, error) {
	if spec == "" {
		return pyStr(val), nil
	}
	fill := " "
	align := byte(0)
	rs := []rune(spec)
	i := 0
	if len(rs) >= 2 && strings.ContainsRune("<>=^", rs[1]) {
		fill, align = string(rs[0]), byte(rs[1])
		i = 2
	} else if len(rs) >= 1 && strings.ContainsRune("<>=^", rs[0]) {
		align = byte(rs[0])
		i = 1
	}
	rest := string(rs[i:])
	signCh := byte('-')
	if rest != "" && strings.IndexByte("+- ", rest[0]) >= 0 {
		signCh = rest[0]
		rest = rest[1:]
	}
	alt := false
	if strings.HasPrefix(rest, "#") {
		alt = true
		rest = rest[1:]
	}
	if strings.HasPrefix(rest, "0") {
		if align == 0 {
			fill, align = "0", '='
		}
		rest = rest[1:]
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	width, _ := strconv.Atoi(rest[:j])
	rest = rest[j:]
	grouping := ""
	if rest != "" && (rest[0] == ',' || rest[0] == '_') {
		grouping = rest[:1]
		rest = rest[1:]
	}
	prec := -1
	if strings.HasPrefix(rest, ".") {
		j = 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		prec, _ = strconv.Atoi(rest[1:j])
		rest = rest[j:]
	}
	typ := byte(0)
	if len(rest) == 1 {
		typ = rest[0]
	} else if len(rest) > 1 {
		return "", &pyError{"ValueError", "Invalid format specifier"}
	}
	var body string
	neg := false
	numeric := false
	switch v := val.(type) {
	case string:
		if typ != 0 && typ != 's' {
			return "", &pyError{"ValueError", fmt.Sprintf("Unknown format code '%c' for object of type 'str'", typ)}
		}
		body = v
		if prec >= 0 && prec < runeLen(body) {
			body = string([]rune(body)[:prec])
		}
	case int64, bool:
		n, _ := intOf(v)
		numeric = true
		neg = n < 0
		switch typ {
		case 0, 'd', 'n':
			body = strconv.FormatUint(absU(n), 10)
		case 'x', 'X':
			body = strconv.FormatUint(absU(n), 16)
			if alt {
				body = "0x" + body
			}
			if typ == 'X' {
				body = strings.ToUpper(body)
			}
		case 'o':
			body = strconv.FormatUint(absU(n), 8)
		case 'b':
			body = strconv.FormatUint(absU(n), 2)
		case 'c':
			body = string(rune(n))
		case 'e', 'E', 'f', 'F', 'g', 'G', '%':
			return formatSpec(float64(n), spec)
		case 's':
			if _, isB := v.(bool); isB {
				body = pyStr(v)
				numeric = false
				break
			}
			fallthrough
		default:
			return "", &pyError{"ValueError", fmt.Sprintf("Unknown format code '%c' for object of type 'int'", typ)}
		}
		if grouping != "" {
			body = group(body, grouping)
		}
	case float64:
		numeric = true
		neg = math.Signbit(v) && !math.IsNaN(v)
		f := math.Abs(v)
		switch typ {
		case 0:
			if prec < 0 {
				body = floatRepr(f)
			} else {
				body = pyFloatFmt(f, 'g', prec, false)
				if !strings.ContainsAny(body, ".e") && !math.IsInf(f, 0) && !math.IsNaN(f) {
					body += ".0"
				}
			}
		case 'f', 'F', 'e', 'E', 'g', 'G':
			if prec < 0 {
				prec = 6
			}
			body = pyFloatFmt(f, typ, prec, alt)
		case '%':
			if prec < 0 {
				prec = 6
			}
			body = pyFloatFmt(f*100, 'f', prec, alt) + "%"
		default:
			return "", &pyError{"ValueError", fmt.Sprintf("Unknown format code '%c' for object of type 'float'", typ)}
		}
		if grouping != "" {
			ip, fp, _ := strings.Cut(body, ".")
			body = group(ip, grouping)
			if fp != "" {
				body += "." + fp
			}
		}
	default:
		if typ != 0 {
			return "", typeErr("unsupported format string passed to %s.__format__", typeName(val))
		}
		body = pyStr(val)
	}
	signStr := ""
	if numeric {
		if neg {
			signStr = "-"
		} else if signCh == '+' {
			signStr = "+"
		} else if signCh == ' ' {
			signStr = " "
		}
	}
	if align == 0 {
		if numeric {
			align = '>'
		} else {
			align = '<'
		}
	}
	n := runeLen(signStr + body)
	if width <= n {
		return signStr + body, nil
	}
	pad := width - n
	switch align {
	case '<':
		return signStr + body + strings.Repeat(fill, pad), nil
	case '>':
		return strings.Repeat(fill, pad) + signStr + body, nil
	case '=':
		return signStr + strings.Repeat(fill, pad) + body, nil
	default:
		l := pad / 2
		return strings.Repeat(fill, l) + signStr + body + strings.Repeat(fill, pad-l), nil
	}
}

func group(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var parts []string
	for len(digits) > 3 {
		parts = append([]string{digits[len(digits)-3:]}, parts...)
		digits = digits[:len(digits)-3]
	}
	parts = append([]string{digits}, parts...)
	return strings.Join(parts, sep)
}

// ---- strftime ----

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// strftime formats t like C's strftime under glibc (Python's time.strftime).
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		pad := byte(0) // 0 default, '-' none, '_' space, '0' zero
		if f[i] == '-' || f[i] == '_' || f[i] == '0' || f[i] == '^' || f[i] == '#' {
			pad = f[i]
			if i+1 >= len(f) {
				b.WriteString("%" + string(pad))
				break
			}
			i++
		}
		num := func(n, width int, defPad byte) {
			p := defPad
			if pad == '-' {
				b.WriteString(strconv.Itoa(n))
				return
			}
			if pad == '_' {
				p = ' '
			} else if pad == '0' {
				p = '0'
			}
			s := strconv.Itoa(n)
			for len(s) < width {
				s = string(p) + s
			}
			b.WriteString(s)
		}
		str := func(s string) {
			if pad == '^' {
				s = strings.ToUpper(s)
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch f[i] {
		case 'a':
			str(weekdays[t.Weekday()][:3])
		case 'A':
			str(weekdays[t.Weekday()])
		case 'b', 'h':
			str(months[t.Month()-1][:3])
		case 'B':
			str(months[t.Month()-1])
		case 'c':
			str(strftime(t, "%a %b %e %H:%M:%S %Y"))
		case 'C':
			num(t.Year()/100, 2, '0')
		case 'd':
			num(t.Day(), 2, '0')
		case 'D':
			str(strftime(t, "%m/%d/%y"))
		case 'e':
			num(t.Day(), 2, ' ')
		case 'F':
			str(strftime(t, "%Y-%m-%d"))
		case 'H':
			num(t.Hour(), 2, '0')
		case 'I':
			num(hour12, 2, '0')
		case 'j':
			num(t.YearDay(), 3, '0')
		case 'k':
			num(t.Hour(), 2, ' ')
		case 'l':
			num(hour12, 2, ' ')
		case 'm':
			num(int(t.Month()), 2, '0')
		case 'M':
			num(t.Minute(), 2, '0')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'p':
			if t.Hour() < 12 {
				str("AM")
			} else {
				str("PM")
			}
		case 'P':
			if t.Hour() < 12 {
				b.WriteString("am")
			} else {
				b.WriteString("pm")
			}
		case 'r':
			str(strftime(t, "%I:%M:%S %p"))
		case 'R':
			str(strftime(t, "%H:%M"))
		case 'S':
			num(t.Second(), 2, '0')
		case 'T':
			str(strftime(t, "%H:%M:%S"))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			num(wd, 1, '0')
		case 'w':
			num(int(t.Weekday()), 1, '0')
		case 'U':
			num((t.YearDay()+6-int(t.Weekday()))/7, 2, '0')
		case 'W':
			wd := (int(t.Weekday()) + 6) % 7
			num((t.YearDay()+6-wd)/7, 2, '0')
		case 'V':
			_, w := t.ISOWeek()
			num(w, 2, '0')
		case 'G':
			y, _ := t.ISOWeek()
			num(y, 4, '0')
		case 'x':
			str(strftime(t, "%m/%d/%y"))
		case 'X':
			str(strftime(t, "%H:%M:%S"))
		case 'y':
			num(t.Year()%100, 2, '0')
		case 'Y':
			num(t.Year(), 1, '0')
		case 'z', 'Z':
			// naive datetime: empty
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'f':
			num(t.Nanosecond()/1000, 6, '0')
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if pad != 0 {
				b.WriteByte(pad)
			}
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// pyIsSpaceRunes reports str.isspace semantics for the characters in s.
func utf8Valid(s string) bool { return utf8.ValidString(s) }
