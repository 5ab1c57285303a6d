package chat

import (
	"errors"
	"testing"
	"time"
)

// TestLimits checks that runaway templates stop quickly with a LimitError.
func TestLimits(t *testing.T) {
	for _, src := range []string{
		"{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
		"{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
		"{% set ns = namespace(a=[1]) %}{% for i in range(40) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}",
		"{% set ns = namespace(a=[1]) %}{% for i in range(40) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a | tojson }}",
		"{{ 'x' * 100000000 }}",
		"{% set ns = namespace(s='xx') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
	} {
		start := time.Now()
		_, err := Apply(src, Options{MaxOutput: 1 << 20, MaxSteps: 1_000_000})
		var le *LimitError
		if !errors.As(err, &le) {
			t.Errorf("%q: err %v, want a LimitError", src, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q took %v", src, d)
		}
	}
}
