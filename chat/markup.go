package chat

import "strings"

// markup is markupsafe.Markup: a str that is already HTML-safe. With
// autoescaping off it matters only where a plain str meets it through "+"
// or "%": the plain side is escaped.
type markup struct{ s string }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&#34;", "'", "&#39;")

// escapeHTML is markupsafe.escape.
func escapeHTML(v any) *markup {
	if m, ok := v.(*markup); ok {
		return m
	}
	return &markup{htmlEscaper.Replace(pyStr(v))}
}

// unmark turns a Markup into the plain str it is, for operations where
// the difference does not show.
func unmark(v any) any {
	if m, ok := v.(*markup); ok {
		return m.s
	}
	return v
}

func unmarkAll(vs []any) []any {
	for i, v := range vs {
		if m, ok := v.(*markup); ok {
			vs[i] = m.s
		}
	}
	return vs
}

// escapeArg escapes an argument of Markup's "%" operator.
func escapeArg(v any) any {
	switch v.(type) {
	case string, *markup:
		return escapeHTML(v)
	}
	return v
}

// Full (one-to-many) case mappings from Unicode SpecialCasing that
// Python's str.upper/str.lower apply and Go's simple mappings do not.
var upperSpecial = strings.NewReplacer("ß", "SS", "ŉ", "ʼN", "ǰ", "J̌", "ΐ", "Ϊ́", "ΰ", "Ϋ́", "և", "ԵՒ",
	"ẖ", "H̱", "ẗ", "T̈", "ẘ", "W̊", "ẙ", "Y̊", "ẚ", "Aʾ", "ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI",
	"ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST")

func pyUpper(s string) string { return strings.ToUpper(upperSpecial.Replace(s)) }

func pyLower(s string) string {
	if strings.ContainsRune(s, 'İ') {
		s = strings.ReplaceAll(s, "İ", "i̇")
	}
	return strings.ToLower(s)
}
