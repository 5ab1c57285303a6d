package chat

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that keep a hostile template from running away.
const (
	defaultMaxSteps  = 20_000_000
	defaultMaxOutput = 64 << 20
	maxCallDepth     = 200
	maxRange         = 100_000
)

type scope struct {
	vars   map[string]any
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{vars: map[string]any{}, parent: parent} }

func (s *scope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

type evaluator struct {
	out       *strings.Builder
	steps     int
	maxSteps  int
	maxOutput int
	depth     int
	now       time.Time
}

var (
	errBreak    = errors.New("break outside loop")
	errContinue = errors.New("continue outside loop")
)

// LimitError reports a template that exceeded the engine's bounds.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string { return "chat: template " + e.Msg }

func (ev *evaluator) step() error {
	ev.steps++
	if ev.steps > ev.maxSteps {
		return &LimitError{fmt.Sprintf("exceeded %d evaluation steps (an endless loop?)", ev.maxSteps)}
	}
	return nil
}

// charge counts work proportional to n bytes or items against the step budget.
func (ev *evaluator) charge(n int) error {
	ev.steps += n / 64
	return ev.step()
}

func (ev *evaluator) write(s string) error {
	if ev.out.Len()+len(s) > ev.maxOutput {
		return &LimitError{fmt.Sprintf("output exceeds %d bytes", ev.maxOutput)}
	}
	ev.out.WriteString(s)
	return nil
}

// capture runs f with output redirected to a fresh buffer.
func (ev *evaluator) capture(f func() error) (string, error) {
	saved := ev.out
	var b strings.Builder
	ev.out = &b
	err := f()
	ev.out = saved
	return b.String(), err
}

func (ev *evaluator) execBody(body []node, sc *scope) error {
	for _, n := range body {
		if err := ev.exec(n, sc); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) exec(n node, sc *scope) error {
	if err := ev.step(); err != nil {
		return err
	}
	switch n := n.(type) {
	case *textNode:
		return ev.write(n.s)
	case *outputNode:
		v, err := ev.eval(n.e, sc)
		if err != nil {
			return err
		}
		s := pyStrLimit(v, ev.maxOutput+1)
		if err := ev.charge(len(s)); err != nil {
			return err
		}
		return ev.write(s)
	case *ifNode:
		for i, c := range n.conds {
			v, err := ev.eval(c, sc)
			if err != nil {
				return err
			}
			if truthy(v) {
				return ev.execBody(n.bodies[i], sc)
			}
		}
		return ev.execBody(n.els, sc)
	case *forNode:
		it, err := ev.eval(n.iter, sc)
		if err != nil {
			return err
		}
		return ev.runFor(n, it, sc, 0)
	case *setNode:
		v, err := ev.eval(n.val, sc)
		if err != nil {
			return err
		}
		return ev.assign(n.target, v, sc)
	case *setBlockNode:
		s, err := ev.capture(func() error { return ev.execBody(n.body, newScope(sc)) })
		if err != nil {
			return err
		}
		var v any = s
		if n.filter != nil {
			v, err = ev.evalFilterChain(n.filter, s, sc)
			if err != nil {
				return err
			}
		}
		return ev.assign(n.target, v, sc)
	case *macroNode:
		sc.vars[n.name] = ev.makeMacro(n.name, n.params, n.defaults, n.body, n.refs, sc)
		return nil
	case *callBlockNode:
		caller := ev.makeMacro("caller", n.params, n.defaults, n.body, n.refs, sc)
		fn, err := ev.eval(n.call.fn, sc)
		if err != nil {
			return err
		}
		args, kw, err := ev.evalArgs(&n.call.callArgs, sc)
		if err != nil {
			return err
		}
		kw.set("caller", caller)
		v, err := ev.call(fn, args, kw)
		if err != nil {
			return err
		}
		return ev.write(pyStr(v))
	case *filterBlockNode:
		s, err := ev.capture(func() error { return ev.execBody(n.body, newScope(sc)) })
		if err != nil {
			return err
		}
		v, err := ev.evalFilterChain(n.filter, s, sc)
		if err != nil {
			return err
		}
		return ev.write(pyStr(v))
	case *withNode:
		inner := newScope(sc)
		for i, t := range n.targets {
			v, err := ev.eval(n.vals[i], sc)
			if err != nil {
				return err
			}
			if err := ev.assign(t, v, inner); err != nil {
				return err
			}
		}
		return ev.execBody(n.body, inner)
	case *scopeNode:
		return ev.execBody(n.body, sc)
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	case *includeNode, *importNode:
		return &pyError{"TypeError", "no loader for this environment specified"}
	case *extendsNode:
		return &pyError{"TypeError", "no loader for this environment specified"}
	}
	return fmt.Errorf("chat: internal error: unknown node %T", n)
}

func (ev *evaluator) assign(target expr, v any, sc *scope) error {
	switch t := target.(type) {
	case *nameExpr:
		sc.vars[t.name] = v
		return nil
	case *tupleExpr:
		items, err := ev.iterate(v)
		if err != nil {
			return err
		}
		if len(items) < len(t.items) {
			return &pyError{"ValueError", fmt.Sprintf("not enough values to unpack (expected %d, got %d)", len(t.items), len(items))}
		}
		if len(items) > len(t.items) {
			return &pyError{"ValueError", fmt.Sprintf("too many values to unpack (expected %d)", len(t.items))}
		}
		for i, it := range t.items {
			if err := ev.assign(it, items[i], sc); err != nil {
				return err
			}
		}
		return nil
	case *nsTarget:
		obj, ok := sc.lookup(t.name)
		ns, isNS := obj.(*Namespace)
		if !ok || !isNS {
			return &pyError{"TemplateRuntimeError", "cannot assign attribute on non-namespace object"}
		}
		ns.attrs.Set(t.attr, v)
		return nil
	}
	return fmt.Errorf("chat: cannot assign to %T", target)
}

// ---- loops ----

type loopObj struct {
	items     []any
	index     int
	length    int
	depth     int
	recurse   *Callable
	lastValue any
	hasLast   bool
}

func (ev *evaluator) runFor(n *forNode, iterable any, sc *scope, depth int) error {
	items, err := ev.iterate(iterable)
	if err != nil {
		return err
	}
	if n.filter != nil {
		var kept []any
		for _, it := range items {
			if err := ev.step(); err != nil {
				return err
			}
			fs := newScope(sc)
			if err := ev.assign(n.target, it, fs); err != nil {
				return err
			}
			v, err := ev.eval(n.filter, fs)
			if err != nil {
				return err
			}
			if truthy(v) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return ev.execBody(n.els, sc)
	}
	lp := &loopObj{items: items, length: len(items), depth: depth}
	if n.recursive {
		lp.recurse = &Callable{Name: "loop", fn: func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) != 1 {
				return nil, typeErr("loop() takes exactly one argument")
			}
			ev.depth++
			defer func() { ev.depth-- }()
			if ev.depth > maxCallDepth {
				return nil, &LimitError{fmt.Sprintf("recursion deeper than %d", maxCallDepth)}
			}
			return ev.capture(func() error { return ev.runFor(n, args[0], sc, depth+1) })
		}}
	}
	for i, it := range items {
		if err := ev.step(); err != nil {
			return err
		}
		lp.index = i
		is := newScope(sc)
		if err := ev.assign(n.target, it, is); err != nil {
			return err
		}
		is.vars["loop"] = lp
		err := ev.execBody(n.body, is)
		if err == errBreak {
			break
		}
		if err == errContinue {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (lp *loopObj) attr(ev *evaluator, name string) (any, bool) {
	i := int64(lp.index)
	n := int64(lp.length)
	switch name {
	case "index":
		return i + 1, true
	case "index0":
		return i, true
	case "revindex":
		return n - i, true
	case "revindex0":
		return n - i - 1, true
	case "first":
		return i == 0, true
	case "last":
		return i == n-1, true
	case "length":
		return n, true
	case "depth":
		return int64(lp.depth + 1), true
	case "depth0":
		return int64(lp.depth), true
	case "previtem":
		if i == 0 {
			return &Undefined{hint: "there is no previous item", name: "previtem"}, true
		}
		return lp.items[i-1], true
	case "nextitem":
		if i >= n-1 {
			return &Undefined{hint: "there is no next item", name: "nextitem"}, true
		}
		return lp.items[i+1], true
	case "cycle":
		return &Callable{Name: "cycle", fn: func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			if len(args) == 0 {
				return nil, typeErr("no items for cycling given")
			}
			return args[lp.index%len(args)], nil
		}}, true
	case "changed":
		return &Callable{Name: "changed", fn: func(ev *evaluator, args []any, kw *kwargs) (any, error) {
			v := &List{Items: args}
			if lp.hasLast && pyEqual(lp.lastValue, v) {
				return false, nil
			}
			lp.lastValue, lp.hasLast = v, true
			return true, nil
		}}, true
	}
	return nil, false
}

// iterate turns an iterable value into its items.
func (ev *evaluator) iterate(v any) ([]any, error) {
	v = unmark(v)
	switch x := v.(type) {
	case string:
		if err := ev.charge(len(x) * 4); err != nil {
			return nil, err
		}
	case *List:
		if err := ev.charge(len(x.Items) * 2); err != nil {
			return nil, err
		}
	}
	switch x := v.(type) {
	case *List:
		return append([]any(nil), x.Items...), nil
	case *Dict:
		return x.Keys(), nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case *Undefined:
		if x.exc != "" {
			return nil, x.err()
		}
		return nil, nil
	case *rangeVal:
		n := x.length()
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			out = append(out, x.start+i*x.step)
		}
		return out, nil
	case *dictView:
		return x.items(), nil
	case *Iterator:
		var out []any
		for {
			if err := ev.step(); err != nil {
				return nil, err
			}
			it, ok, err := x.Next()
			if err != nil {
				return nil, err
			}
			if !ok {
				return out, nil
			}
			out = append(out, it)
		}
	case *loopObj:
		return nil, typeErr("'LoopContext' object is not iterable")
	case *Namespace:
		return nil, typeErr("'Namespace' object is not iterable")
	}
	return nil, typeErr("'%s' object is not iterable", typeName(v))
}

// ---- macros ----

type macroVal struct {
	params []string
}

func (ev *evaluator) makeMacro(name string, params []string, defaults []expr, body []node, refs map[string]bool, def *scope) *Callable {
	c := &Callable{Name: name, macro: &macroVal{params: params}}
	c.fn = func(ev *evaluator, args []any, kw *kwargs) (any, error) {
		ev.depth++
		defer func() { ev.depth-- }()
		if ev.depth > maxCallDepth {
			return nil, &LimitError{fmt.Sprintf("macro recursion deeper than %d", maxCallDepth)}
		}
		ms := newScope(def)
		nd := len(params) - len(defaults)
		for i, p := range params {
			if i < len(args) {
				ms.vars[p] = args[i]
				if kw.has(p) {
					return nil, typeErr("macro '%s' got multiple values for argument '%s'", name, p)
				}
				continue
			}
			if v, ok := kw.get(p); ok {
				ms.vars[p] = v
				kw.del(p)
				continue
			}
			if i >= nd {
				v, err := ev.eval(defaults[i-nd], ms)
				if err != nil {
					return nil, err
				}
				ms.vars[p] = v
				continue
			}
			ms.vars[p] = &Undefined{hint: fmt.Sprintf("parameter '%s' was not provided", p), name: p}
		}
		var extra []any
		if len(args) > len(params) {
			extra = args[len(params):]
			if !refs["varargs"] {
				return nil, typeErr("macro '%s' takes not more than %d argument(s)", name, len(params))
			}
		}
		if refs["varargs"] {
			ms.vars["varargs"] = &List{Items: extra, Tuple: true}
		}
		if c, ok := kw.get("caller"); ok {
			if !refs["caller"] {
				return nil, typeErr("macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", name)
			}
			ms.vars["caller"] = c
			kw.del("caller")
		}
		if kw.len() > 0 && !refs["kwargs"] {
			return nil, typeErr("macro '%s' takes no keyword argument '%s'", name, kw.names[0])
		}
		if !refs["kwargs"] {
			return ev.capture(func() error { return ev.execBody(body, ms) })
		}
		kd := NewDict()
		for _, k := range kw.names {
			v, _ := kw.get(k)
			kd.Set(k, v)
		}
		ms.vars["kwargs"] = kd
		return ev.capture(func() error { return ev.execBody(body, ms) })
	}
	return c
}

// ---- keyword arguments ----

type kwargs struct {
	names []string
	vals  map[string]any
}

func (k *kwargs) set(name string, v any) {
	if k.vals == nil {
		k.vals = map[string]any{}
	}
	if _, ok := k.vals[name]; !ok {
		k.names = append(k.names, name)
	}
	k.vals[name] = v
}

func (k *kwargs) get(name string) (any, bool) {
	if k == nil || k.vals == nil {
		return nil, false
	}
	v, ok := k.vals[name]
	return v, ok
}

func (k *kwargs) has(name string) bool { _, ok := k.get(name); return ok }

func (k *kwargs) del(name string) {
	if k == nil || k.vals == nil {
		return
	}
	delete(k.vals, name)
	for i, n := range k.names {
		if n == name {
			k.names = append(k.names[:i:i], k.names[i+1:]...)
			break
		}
	}
}

func (k *kwargs) len() int {
	if k == nil {
		return 0
	}
	return len(k.names)
}

func (ev *evaluator) evalArgs(ca *callArgs, sc *scope) ([]any, *kwargs, error) {
	args := make([]any, 0, len(ca.args))
	for _, a := range ca.args {
		v, err := ev.eval(a, sc)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	kw := &kwargs{}
	for _, k := range ca.kwargs {
		v, err := ev.eval(k.val, sc)
		if err != nil {
			return nil, nil, err
		}
		kw.set(k.name, v)
	}
	if ca.dynArgs != nil {
		v, err := ev.eval(ca.dynArgs, sc)
		if err != nil {
			return nil, nil, err
		}
		items, err := ev.iterate(v)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, items...)
	}
	if ca.dynKwargs != nil {
		v, err := ev.eval(ca.dynKwargs, sc)
		if err != nil {
			return nil, nil, err
		}
		d, ok := v.(*Dict)
		if !ok {
			return nil, nil, typeErr("argument after ** must be a mapping, not %s", typeName(v))
		}
		for i, k := range d.keys {
			ks, ok := k.(string)
			if !ok {
				return nil, nil, typeErr("keywords must be strings")
			}
			kw.set(ks, d.vals[i])
		}
	}
	return args, kw, nil
}

func (ev *evaluator) call(fn any, args []any, kw *kwargs) (any, error) {
	switch f := fn.(type) {
	case *Callable:
		if err := ev.step(); err != nil {
			return nil, err
		}
		return f.fn(ev, args, kw)
	case *Undefined:
		return nil, f.err()
	case *loopObj:
		if f.recurse != nil {
			return f.recurse.fn(ev, args, kw)
		}
		return nil, typeErr("Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.")
	case *cyclerVal, *joinerVal:
		if j, ok := f.(*joinerVal); ok {
			return j.call(), nil
		}
	}
	return nil, typeErr("'%s' object is not callable", typeName(fn))
}

// ---- expressions ----

func (ev *evaluator) eval(e expr, sc *scope) (any, error) {
	if err := ev.step(); err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case *constExpr:
		return e.v, nil
	case *nameExpr:
		if v, ok := sc.lookup(e.name); ok {
			return v, nil
		}
		if g, ok := globals[e.name]; ok {
			return g, nil
		}
		return &Undefined{name: e.name}, nil
	case *listExpr:
		items := make([]any, len(e.items))
		for i, it := range e.items {
			v, err := ev.eval(it, sc)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return &List{Items: items}, nil
	case *tupleExpr:
		items := make([]any, len(e.items))
		for i, it := range e.items {
			v, err := ev.eval(it, sc)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return &List{Items: items, Tuple: true}, nil
	case *dictExpr:
		d := NewDict()
		for i := range e.keys {
			k, err := ev.eval(e.keys[i], sc)
			if err != nil {
				return nil, err
			}
			v, err := ev.eval(e.vals[i], sc)
			if err != nil {
				return nil, err
			}
			if err := d.set(k, v); err != nil {
				return nil, err
			}
		}
		return d, nil
	case *attrExpr:
		obj, err := ev.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		return ev.getAttr(obj, e.attr)
	case *itemExpr:
		obj, err := ev.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		k, err := ev.eval(e.key, sc)
		if err != nil {
			return nil, err
		}
		return ev.getItem(obj, k)
	case *sliceExpr:
		return ev.evalSlice(e, sc)
	case *callExpr:
		fn, err := ev.eval(e.fn, sc)
		if err != nil {
			return nil, err
		}
		args, kw, err := ev.evalArgs(&e.callArgs, sc)
		if err != nil {
			return nil, err
		}
		return ev.call(fn, args, kw)
	case *filterExpr:
		return ev.evalFilterChain(e, nil, sc)
	case *testExpr:
		return ev.evalTest(e, sc)
	case *condExpr:
		t, err := ev.eval(e.test, sc)
		if err != nil {
			return nil, err
		}
		if truthy(t) {
			return ev.eval(e.t, sc)
		}
		if e.f == nil {
			return &Undefined{hint: "the inline if-expression on line evaluated to false and no else section was defined."}, nil
		}
		return ev.eval(e.f, sc)
	case *unaryExpr:
		x, err := ev.eval(e.x, sc)
		if err != nil {
			return nil, err
		}
		x = unmark(x)
		switch e.op {
		case "not":
			return !truthy(x), nil
		case "-":
			switch v := x.(type) {
			case bool:
				if v {
					return int64(-1), nil
				}
				return int64(0), nil
			case int64:
				if v == math.MinInt64 {
					return nil, &pyError{"OverflowError", "integer overflow"}
				}
				return -v, nil
			case float64:
				return -v, nil
			case *Undefined:
				return nil, v.err()
			}
			return nil, typeErr("bad operand type for unary -: '%s'", typeName(x))
		case "+":
			switch v := x.(type) {
			case bool:
				if v {
					return int64(1), nil
				}
				return int64(0), nil
			case int64, float64:
				return v, nil
			case *Undefined:
				return nil, v.err()
			}
			return nil, typeErr("bad operand type for unary +: '%s'", typeName(x))
		}
	case *binExpr:
		l, err := ev.eval(e.l, sc)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return ev.eval(e.r, sc)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return ev.eval(e.r, sc)
		}
		r, err := ev.eval(e.r, sc)
		if err != nil {
			return nil, err
		}
		return ev.binop(e.op, l, r)
	case *compareExpr:
		l, err := ev.eval(e.first, sc)
		if err != nil {
			return nil, err
		}
		for i, op := range e.ops {
			r, err := ev.eval(e.rest[i], sc)
			if err != nil {
				return nil, err
			}
			ok, err := ev.compare(op, l, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				return false, nil
			}
			l = r
		}
		return true, nil
	}
	return nil, fmt.Errorf("chat: internal error: unknown expression %T", e)
}

func (ev *evaluator) compare(op string, l, r any) (bool, error) {
	switch op {
	case "==":
		return pyEqual(l, r), nil
	case "!=":
		return !pyEqual(l, r), nil
	case "in":
		return ev.contains(r, l)
	case "notin":
		ok, err := ev.contains(r, l)
		return !ok, err
	}
	c, err := pyCompare(l, r, op)
	if err != nil {
		return false, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("chat: unknown comparison %s", op)
}

func (ev *evaluator) contains(container, item any) (bool, error) {
	container, item = unmark(container), unmark(item)
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			if u, isU := item.(*Undefined); isU {
				return false, u.err()
			}
			return false, typeErr("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case *Dict:
		if _, err := hashKey(item); err != nil {
			return false, err
		}
		_, ok := c.Get(item)
		return ok, nil
	case nil:
		return false, typeErr("argument of type 'NoneType' is not iterable")
	case *Undefined:
		if c.exc != "" {
			return false, c.err()
		}
		return false, nil
	}
	items, err := ev.iterate(container)
	if err != nil {
		var pe *pyError
		if errors.As(err, &pe) && pe.Type == "TypeError" {
			return false, typeErr("argument of type '%s' is not iterable", typeName(container))
		}
		return false, err
	}
	for _, it := range items {
		if pyEqual(it, item) {
			return true, nil
		}
	}
	return false, nil
}

func (ev *evaluator) binop(op string, l, r any) (any, error) {
	v, err := ev.binop1(op, l, r)
	if err == nil {
		switch x := v.(type) {
		case string:
			err = ev.charge(len(x))
		case *List:
			err = ev.charge(len(x.Items) * 8)
		}
	}
	return v, err
}

func (ev *evaluator) binop1(op string, l, r any) (any, error) {
	if op == "~" {
		s := pyStr(l) + pyStr(r)
		if len(s) > ev.maxOutput {
			return nil, &LimitError{fmt.Sprintf("string exceeds %d bytes", ev.maxOutput)}
		}
		return s, nil
	}
	if u, ok := l.(*Undefined); ok {
		return nil, u.err()
	}
	if u, ok := r.(*Undefined); ok {
		return nil, u.err()
	}
	if m, ok := l.(*markup); ok && (op == "+" || op == "%") {
		if op == "%" {
			if t, isT := r.(*List); isT && t.Tuple {
				esc := make([]any, len(t.Items))
				for i, it := range t.Items {
					esc[i] = escapeArg(it)
				}
				r = &List{Items: esc, Tuple: true}
			} else {
				r = escapeArg(r)
			}
			s, err := pyPercentFormat(m.s, r)
			if err != nil {
				return nil, err
			}
			return &markup{s.(string)}, nil
		}
		switch r.(type) {
		case string, *markup:
			return &markup{m.s + escapeHTML(r).s}, nil
		}
	}
	if m, ok := r.(*markup); ok && op == "+" {
		if s, isS := l.(string); isS {
			return &markup{escapeHTML(s).s + m.s}, nil
		}
	}
	l, r = unmark(l), unmark(r)
	li, lInt := intOf(l)
	ri, rInt := intOf(r)
	lf, lNum := numOf(l)
	rf, rNum := numOf(r)
	if lNum && rNum {
		if lInt && rInt {
			return intArith(op, li, ri)
		}
		return floatArith(op, lf, rf)
	}
	switch op {
	case "+":
		switch x := l.(type) {
		case string:
			if y, ok := r.(string); ok {
				if len(x)+len(y) > ev.maxOutput {
					return nil, &LimitError{fmt.Sprintf("string exceeds %d bytes", ev.maxOutput)}
				}
				return x + y, nil
			}
			return nil, typeErr("can only concatenate str (not \"%s\") to str", typeName(r))
		case *List:
			if y, ok := r.(*List); ok && x.Tuple == y.Tuple {
				items := make([]any, 0, len(x.Items)+len(y.Items))
				items = append(items, x.Items...)
				items = append(items, y.Items...)
				return &List{Items: items, Tuple: x.Tuple}, nil
			}
			return nil, typeErr("can only concatenate %s (not \"%s\") to %s", typeName(l), typeName(r), typeName(l))
		}
	case "*":
		if lInt && !rNum {
			l, r, li = r, l, ri
			lInt, rInt = rInt, true
			_ = lInt
		}
		if rInt || isIntVal(r) {
			n, _ := intOf(r)
			if n < 0 {
				n = 0
			}
			switch x := l.(type) {
			case string:
				if int64(len(x))*n > int64(ev.maxOutput) {
					return nil, &LimitError{fmt.Sprintf("string exceeds %d bytes", ev.maxOutput)}
				}
				return strings.Repeat(x, int(n)), nil
			case *List:
				if int64(len(x.Items))*n > int64(ev.maxOutput/8) {
					return nil, &LimitError{"list too large"}
				}
				var items []any
				for i := int64(0); i < n; i++ {
					items = append(items, x.Items...)
				}
				return &List{Items: items, Tuple: x.Tuple}, nil
			}
		}
	case "%":
		if s, ok := l.(string); ok {
			return pyPercentFormat(s, r)
		}
	}
	opName := op
	return nil, typeErr("unsupported operand type(s) for %s: '%s' and '%s'", opName, typeName(l), typeName(r))
}

func isIntVal(v any) bool { _, ok := intOf(v); return ok }

func intArith(op string, a, b int64) (any, error) {
	overflow := func() error { return &pyError{"OverflowError", "integer overflow"} }
	switch op {
	case "+":
		c := a + b
		if (c > a) != (b > 0) {
			return nil, overflow()
		}
		return c, nil
	case "-":
		c := a - b
		if (c < a) != (b > 0) {
			return nil, overflow()
		}
		return c, nil
	case "*":
		if a == 0 || b == 0 {
			return int64(0), nil
		}
		c := a * b
		if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return nil, overflow()
		}
		return c, nil
	case "/":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "division by zero"}
		}
		return float64(a) / float64(b), nil
	case "//":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "integer division or modulo by zero"}
		}
		if a == math.MinInt64 && b == -1 {
			return nil, overflow()
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	case "%":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "integer division or modulo by zero"}
		}
		if b == -1 {
			return int64(0), nil
		}
		m := a % b
		if m != 0 && ((m < 0) != (b < 0)) {
			m += b
		}
		return m, nil
	case "**":
		if b < 0 {
			return math.Pow(float64(a), float64(b)), nil
		}
		res := int64(1)
		base := a
		for e := b; e > 0; e >>= 1 {
			if e&1 == 1 {
				v, err := intArith("*", res, base)
				if err != nil {
					return nil, err
				}
				res = v.(int64)
			}
			if e > 1 {
				v, err := intArith("*", base, base)
				if err != nil {
					return nil, err
				}
				base = v.(int64)
			}
		}
		return res, nil
	}
	return nil, fmt.Errorf("chat: unknown operator %s", op)
}

func floatArith(op string, a, b float64) (any, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "float division by zero"}
		}
		return a / b, nil
	case "//":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "float floor division by zero"}
		}
		return math.Floor(a / b), nil
	case "%":
		if b == 0 {
			return nil, &pyError{"ZeroDivisionError", "float modulo"}
		}
		m := math.Mod(a, b)
		if m != 0 && ((m < 0) != (b < 0)) {
			m += b
		}
		return m, nil
	case "**":
		if a == 0 && b < 0 {
			return nil, &pyError{"ZeroDivisionError", "0.0 cannot be raised to a negative power"}
		}
		return math.Pow(a, b), nil
	}
	return nil, fmt.Errorf("chat: unknown operator %s", op)
}

// ---- attribute and item access ----

func (ev *evaluator) getAttr(obj any, name string) (any, error) {
	obj = unmark(obj)
	switch o := obj.(type) {
	case *Undefined:
		return nil, o.err()
	case *Dict:
		if m, ok := dictMethod(o, name); ok {
			return m, nil
		}
		if v, ok := o.Get(name); ok {
			return v, nil
		}
	case string:
		if m, ok := strMethod(o, name); ok {
			return m, nil
		}
	case *List:
		if m, ok := listMethod(o, name); ok {
			return m, nil
		}
	case *Namespace:
		if v, ok := o.attrs.Get(name); ok {
			return v, nil
		}
	case *loopObj:
		if v, ok := o.attr(ev, name); ok {
			return v, nil
		}
	case *Callable:
		if o.macro != nil {
			switch name {
			case "name":
				return o.Name, nil
			case "arguments":
				items := make([]any, len(o.macro.params))
				for i, p := range o.macro.params {
					items[i] = p
				}
				return &List{Items: items, Tuple: true}, nil
			}
		}
	case *cyclerVal:
		if v, ok := o.attr(name); ok {
			return v, nil
		}
	case int64, float64, bool:
		if name == "real" {
			return obj, nil
		}
		if name == "imag" {
			return int64(0), nil
		}
	}
	return &Undefined{name: name, obj: obj, hasO: true}, nil
}

func (ev *evaluator) getItem(obj any, key any) (any, error) {
	obj, key = unmark(obj), unmark(key)
	switch o := obj.(type) {
	case *Undefined:
		return nil, o.err()
	case *Dict:
		if _, err := hashKey(key); err == nil {
			if v, ok := o.Get(key); ok {
				return v, nil
			}
		}
	case *List:
		if i, ok := intOf(key); ok {
			n := int64(len(o.Items))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return o.Items[i], nil
			}
			return &Undefined{name: pyRepr(key), obj: obj, hasO: true, hint: fmt.Sprintf("%s has no element %s", strings.Trim(objectTypeRepr(obj), "'"), pyRepr(key))}, nil
		}
	case string:
		if i, ok := intOf(key); ok {
			rs := []rune(o)
			n := int64(len(rs))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return string(rs[i]), nil
			}
			return &Undefined{hint: fmt.Sprintf("str object has no element %s", pyRepr(key))}, nil
		}
	case *rangeVal:
		if i, ok := intOf(key); ok {
			n := o.length()
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return o.start + i*o.step, nil
			}
		}
	}
	if s, ok := key.(string); ok {
		return ev.getAttr(obj, s)
	}
	if _, ok := key.(string); !ok {
		return &Undefined{hint: fmt.Sprintf("%s has no element %s", strings.Trim(objectTypeRepr(obj), "'"), pyRepr(key))}, nil
	}
	return &Undefined{name: pyStr(key), obj: obj, hasO: true}, nil
}

func (ev *evaluator) evalSlice(e *sliceExpr, sc *scope) (any, error) {
	obj, err := ev.eval(e.obj, sc)
	if err != nil {
		return nil, err
	}
	obj = unmark(obj)
	var bounds [3]*int64
	for i, x := range []expr{e.start, e.stop, e.step} {
		if x == nil {
			continue
		}
		v, err := ev.eval(x, sc)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		n, ok := intOf(v)
		if !ok {
			if u, isU := v.(*Undefined); isU {
				return nil, u.err()
			}
			return nil, typeErr("slice indices must be integers or None or have an __index__ method")
		}
		bounds[i] = &n
	}
	switch o := obj.(type) {
	case *Undefined:
		return nil, o.err()
	case string:
		rs := []rune(o)
		idx, err := sliceIndices(len(rs), bounds)
		if err != nil {
			return nil, err
		}
		out := make([]rune, 0, len(idx))
		for _, i := range idx {
			out = append(out, rs[i])
		}
		return string(out), nil
	case *List:
		idx, err := sliceIndices(len(o.Items), bounds)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, o.Items[i])
		}
		return &List{Items: out, Tuple: o.Tuple}, nil
	case *rangeVal, *dictView:
		items, err := ev.iterate(o)
		if err != nil {
			return nil, err
		}
		idx, err := sliceIndices(len(items), bounds)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, items[i])
		}
		if _, ok := o.(*dictView); ok {
			return nil, typeErr("'%s' object is not subscriptable", typeName(o))
		}
		return &List{Items: out}, nil
	}
	return &Undefined{hint: fmt.Sprintf("%s has no element slice", objectTypeRepr(obj))}, nil
}

// sliceIndices computes the positions a Python slice selects.
func sliceIndices(n int, b [3]*int64) ([]int, error) {
	step := int64(1)
	if b[2] != nil {
		step = *b[2]
	}
	if step == 0 {
		return nil, &pyError{"ValueError", "slice step cannot be zero"}
	}
	ln := int64(n)
	var start, stop int64
	clamp := func(v *int64, def int64, lo, hi int64) int64 {
		if v == nil {
			return def
		}
		x := *v
		if x < 0 {
			x += ln
			if x < lo {
				x = lo
			}
		} else if x > hi {
			x = hi
		}
		return x
	}
	if step > 0 {
		start = clamp(b[0], 0, 0, ln)
		stop = clamp(b[1], ln, 0, ln)
	} else {
		start = clamp(b[0], ln-1, -1, ln-1)
		stop = clamp(b[1], -1, -1, ln-1)
	}
	var out []int
	if step > 0 {
		for i := start; i < stop; i += step {
			out = append(out, int(i))
		}
	} else {
		for i := start; i > stop; i += step {
			out = append(out, int(i))
		}
	}
	return out, nil
}

// ---- filters and tests ----

func (ev *evaluator) evalFilterChain(f expr, input any, sc *scope) (any, error) {
	fe, ok := f.(*filterExpr)
	if !ok {
		return ev.eval(f, sc)
	}
	var v any
	var err error
	if fe.node == nil {
		v = input
	} else {
		v, err = ev.evalFilterChain(fe.node, input, sc)
		if err != nil {
			return nil, err
		}
	}
	if fe.name != "safe" && fe.name != "e" && fe.name != "escape" && fe.name != "forceescape" {
		v = unmark(v)
	}
	fn, ok := filters[fe.name]
	if !ok {
		return nil, &pyError{"TemplateRuntimeError", fmt.Sprintf("No filter named '%s' found.", fe.name)}
	}
	args, kw, err := ev.evalArgs(&fe.callArgs, sc)
	if err != nil {
		return nil, err
	}
	if err := ev.step(); err != nil {
		return nil, err
	}
	r, err := fn(ev, v, args, kw)
	if s, ok := r.(string); ok && err == nil {
		err = ev.charge(len(s))
	}
	return r, err
}

func (ev *evaluator) evalTest(t *testExpr, sc *scope) (any, error) {
	v, err := ev.eval(t.node, sc)
	if err != nil {
		return nil, err
	}
	v = unmark(v)
	fn, ok := tests[t.name]
	if !ok {
		return nil, &pyError{"TemplateRuntimeError", fmt.Sprintf("No test named '%s' found.", t.name)}
	}
	args, kw, err := ev.evalArgs(&t.callArgs, sc)
	if err != nil {
		return nil, err
	}
	return fn(ev, v, unmarkAll(args), kw)
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
