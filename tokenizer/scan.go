package tokenizer

import "unicode"

// A hand-written scanner for the Llama 3 / Qwen2 pre-tokenizer pattern
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// (D = 3 for Llama 3, 1 for Qwen2), giving the same matches as the regular
// expression engine (TestScanMatchesRegex and FuzzScan check this) several
// times faster.

// isRegexSpace is \s as the regex engine defines it.
func isRegexSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85:
		return true
	}
	return r > 0x7f && unicode.In(r, unicode.Z)
}

func isLetter(r rune) bool {
	if r < 0x80 {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func lower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 32
	}
	return r
}

// scanLlama3 returns the rune spans of the matches in rs.
func scanLlama3(rs []rune, maxDigits int, spans [][2]int) [][2]int {
	n := len(rs)
	for i := 0; i < n; {
		r := rs[i]
		end := -1
		// contractions
		if r == '\'' && i+1 < n {
			c1 := lower(rs[i+1])
			switch c1 {
			case 's', 't', 'm', 'd':
				end = i + 2
			case 'r', 'v':
				if i+2 < n && lower(rs[i+2]) == 'e' {
					end = i + 3
				}
			case 'l':
				if i+2 < n && lower(rs[i+2]) == 'l' {
					end = i + 3
				}
			}
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if end < 0 {
			j := i
			if r != '\r' && r != '\n' && !isLetter(r) && !isNumber(r) && i+1 < n && isLetter(rs[i+1]) {
				j = i + 1
			}
			if isLetter(rs[j]) {
				for j < n && isLetter(rs[j]) {
					j++
				}
				end = j
			}
		}
		// \p{N}{1,D}
		if end < 0 && isNumber(r) {
			j := i
			for j < n && j-i < maxDigits && isNumber(rs[j]) {
				j++
			}
			end = j
		}
		// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
		if end < 0 {
			j := i
			if r == ' ' {
				j++
			}
			k := j
			for k < n && !isRegexSpace(rs[k]) && !isLetter(rs[k]) && !isNumber(rs[k]) {
				k++
			}
			if k > j {
				for k < n && (rs[k] == '\r' || rs[k] == '\n') {
					k++
				}
				end = k
			}
		}
		if end < 0 && isRegexSpace(r) {
			k := i
			lastNL := -1
			for k < n && isRegexSpace(rs[k]) {
				if rs[k] == '\r' || rs[k] == '\n' {
					lastNL = k
				}
				k++
			}
			switch {
			case lastNL >= 0: // \s*[\r\n]+
				end = lastNL + 1
			case k == n: // \s+(?!\S) at the end
				end = k
			case k-i >= 2: // \s+(?!\S) leaving one space for the next word
				end = k - 1
			default: // \s+
				end = k
			}
		}
		if end < 0 { // cannot happen: every rune starts some alternative
			end = i + 1
		}
		spans = append(spans, [2]int{i, end})
		i = end
	}
	return spans
}
