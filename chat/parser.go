package chat

import (
	"fmt"
	"strings"
)

// ---- AST ----

type expr interface{}
type node interface{}

type (
	constExpr struct{ v any }
	nameExpr  struct {
		name string
		line int
	}
	listExpr  struct{ items []expr }
	tupleExpr struct{ items []expr }
	dictExpr  struct{ keys, vals []expr }
	attrExpr  struct {
		obj  expr
		attr string
	}
	itemExpr struct {
		obj expr
		key expr
	}
	sliceExpr struct {
		obj               expr
		start, stop, step expr
	}
	kwArg struct {
		name string
		val  expr
	}
	callArgs struct {
		args      []expr
		kwargs    []kwArg
		dynArgs   expr
		dynKwargs expr
	}
	callExpr struct {
		fn expr
		callArgs
	}
	filterExpr struct {
		node expr // nil inside a filter block
		name string
		line int
		soft bool
		callArgs
	}
	testExpr struct {
		node expr
		name string
		line int
		soft bool
		callArgs
	}
	binExpr struct {
		op   string
		l, r expr
	}
	unaryExpr struct {
		op string
		x  expr
	}
	compareExpr struct {
		first expr
		ops   []string
		rest  []expr
	}
	condExpr struct{ test, t, f expr }
)

type (
	textNode   struct{ s string }
	outputNode struct{ e expr }
	ifNode     struct {
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		target    expr
		iter      expr
		filter    expr
		recursive bool
		body, els []node
	}
	setNode struct {
		target expr
		val    expr
	}
	setBlockNode struct {
		target expr
		filter expr // chain of filterExpr with nil innermost node
		body   []node
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr // aligned to the last params
		body     []node
		refs     map[string]bool
	}
	callBlockNode struct {
		call     *callExpr
		params   []string
		defaults []expr
		body     []node
		refs     map[string]bool
	}
	filterBlockNode struct {
		filter expr
		body   []node
	}
	withNode struct {
		targets []expr
		vals    []expr
		body    []node
	}
	breakNode    struct{}
	continueNode struct{}
	includeNode  struct {
		tmpl          expr
		ignoreMissing bool
	}
	extendsNode struct{ tmpl expr }
	importNode  struct{ tmpl expr }
	scopeNode   struct{ body []node } // block, generation, autoescape
)

// nsTarget is "ns.attr" as an assignment target.
type nsTarget struct {
	name, attr string
}

// ---- parser ----

const maxParseDepth = 200

type parser struct {
	toks   []token
	pos    int
	depth  int
	soft   int // inside if / condexpr: unknown filters fail at runtime
	inLoop int
	macros []map[string]bool // names referenced by the bodies being parsed
}

func (p *parser) cur() token { return p.toks[p.pos] }

func (p *parser) peek(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *parser) fail(format string, a ...any) error {
	return &SyntaxError{Line: p.cur().line, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) isName(v string) bool { t := p.cur(); return t.typ == tName && t.val == v }
func (p *parser) isOp(v string) bool   { t := p.cur(); return t.typ == tOp && t.val == v }

func describe(t token) string {
	switch t.typ {
	case tName, tOp:
		return "'" + t.val + "'"
	case tString, tInt, tFloat:
		return t.typ.String()
	}
	return t.typ.String()
}

func (p *parser) expectOp(v string) error {
	if !p.isOp(v) {
		return p.fail("expected token '%s', got %s", v, describe(p.cur()))
	}
	p.next()
	return nil
}

func (p *parser) expectName() (string, error) {
	if p.cur().typ != tName {
		return "", p.fail("expected token 'name', got %s", describe(p.cur()))
	}
	return p.next().val, nil
}

func (p *parser) expectBlockEnd() error {
	if p.cur().typ != tBlockEnd {
		return p.fail("expected token 'end of statement block', got %s", describe(p.cur()))
	}
	p.next()
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.fail("template nested too deeply (more than %d levels)", maxParseDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseTemplate parses the whole token stream.
func parseTemplate(toks []token) ([]node, error) {
	p := &parser{toks: toks}
	body, end, err := p.subparse(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, p.fail("unexpected '%s'", end)
	}
	return body, nil
}

// subparse parses nodes until one of the end tags (returned, with the
// parser positioned after the tag name) or EOF.
func (p *parser) subparse(ends []string) ([]node, string, error) {
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer p.leave()
	var body []node
	for {
		t := p.cur()
		switch t.typ {
		case tEOF:
			if len(ends) > 0 {
				return nil, "", p.fail("Unexpected end of template. Jinja was looking for the following tags: %s.", quoteList(ends))
			}
			return body, "", nil
		case tData:
			p.next()
			body = append(body, &textNode{t.val})
		case tVarBegin:
			p.next()
			e, err := p.parseTuple(true, nil, false)
			if err != nil {
				return nil, "", err
			}
			if p.cur().typ != tVarEnd {
				return nil, "", p.fail("expected token 'end of print statement', got %s", describe(p.cur()))
			}
			p.next()
			body = append(body, &outputNode{e})
		case tBlockBegin:
			p.next()
			if p.cur().typ != tName {
				return nil, "", p.fail("tag name expected")
			}
			name := p.cur().val
			for _, e := range ends {
				if e == name {
					p.next()
					return body, name, nil
				}
			}
			n, err := p.parseStatement()
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				body = append(body, n)
			}
		default:
			return nil, "", p.fail("unexpected %s", t.typ)
		}
	}
}

func quoteList(ends []string) string {
	q := make([]string, len(ends))
	for i, e := range ends {
		q[i] = "'" + e + "'"
	}
	return strings.Join(q, " or ")
}

// parseBody parses statements until one of ends and consumes the end tag's
// block end when the tag is final (drop).
func (p *parser) parseBody(ends ...string) ([]node, string, error) {
	body, end, err := p.subparse(ends)
	if err != nil {
		return nil, "", err
	}
	return body, end, nil
}

func (p *parser) parseStatement() (node, error) {
	t := p.cur()
	switch t.val {
	case "if":
		p.next()
		return p.parseIf()
	case "for":
		p.next()
		return p.parseFor()
	case "set":
		p.next()
		return p.parseSet()
	case "macro":
		p.next()
		return p.parseMacro()
	case "call":
		p.next()
		return p.parseCallBlock()
	case "filter":
		p.next()
		return p.parseFilterBlock()
	case "with":
		p.next()
		return p.parseWith()
	case "break", "continue":
		p.next()
		if p.inLoop == 0 {
			return nil, &SyntaxError{Line: t.line, Msg: fmt.Sprintf("'%s' tag must be inside a loop", t.val)}
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if t.val == "break" {
			return &breakNode{}, nil
		}
		return &continueNode{}, nil
	case "generation", "autoescape":
		p.next()
		if t.val == "autoescape" {
			if _, err := p.parseExpression(true); err != nil {
				return nil, err
			}
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody("end" + t.val)
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		return &scopeNode{body}, nil
	case "block":
		p.next()
		if _, err := p.expectName(); err != nil {
			return nil, err
		}
		if p.isName("scoped") || p.isName("required") {
			p.next()
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody("endblock")
		if err != nil {
			return nil, err
		}
		if p.cur().typ == tName {
			p.next()
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		return &scopeNode{body}, nil
	case "print":
		p.next()
		e, err := p.parseTuple(true, nil, false)
		if err != nil {
			return nil, err
		}
		return &outputNode{e}, p.expectBlockEnd()
	case "include":
		p.next()
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		n := &includeNode{tmpl: e}
		if p.isName("ignore") && p.peek(1).typ == tName && p.peek(1).val == "missing" {
			p.next()
			p.next()
			n.ignoreMissing = true
		}
		if err := p.skipContextMod(); err != nil {
			return nil, err
		}
		return n, p.expectBlockEnd()
	case "extends":
		p.next()
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		return &extendsNode{e}, p.expectBlockEnd()
	case "import", "from":
		p.next()
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		// consume the rest of the tag loosely
		for p.cur().typ != tBlockEnd && p.cur().typ != tEOF {
			p.next()
		}
		return &importNode{e}, p.expectBlockEnd()
	}
	return nil, p.fail("Encountered unknown tag '%s'.", t.val)
}

func (p *parser) skipContextMod() error {
	if (p.isName("with") || p.isName("without")) && p.peek(1).typ == tName && p.peek(1).val == "context" {
		p.next()
		p.next()
	}
	return nil
}

func (p *parser) parseIf() (node, error) {
	n := &ifNode{}
	for {
		cond, err := p.parseTuple(false, nil, false)
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		p.soft++
		body, end, err := p.parseBody("elif", "else", "endif")
		p.soft--
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.expectBlockEnd(); err != nil {
				return nil, err
			}
			p.soft++
			n.els, _, err = p.parseBody("endif")
			p.soft--
			if err != nil {
				return nil, err
			}
		}
		return n, p.expectBlockEnd()
	}
}

func (p *parser) parseFor() (node, error) {
	target, err := p.parseAssignTarget([]string{"in"}, false)
	if err != nil {
		return nil, err
	}
	if !p.isName("in") {
		return nil, p.fail("expected token 'in', got %s", describe(p.cur()))
	}
	p.next()
	iter, err := p.parseTuple(false, []string{"recursive"}, false)
	if err != nil {
		return nil, err
	}
	n := &forNode{target: target, iter: iter}
	if p.isName("if") {
		p.next()
		n.filter, err = p.parseExpression(true)
		if err != nil {
			return nil, err
		}
	}
	if p.isName("recursive") {
		p.next()
		n.recursive = true
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	p.inLoop++
	body, end, err := p.parseBody("endfor", "else")
	p.inLoop--
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		saved := p.inLoop
		p.inLoop = 0
		n.els, _, err = p.parseBody("endfor")
		p.inLoop = saved
		if err != nil {
			return nil, err
		}
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseSet() (node, error) {
	target, err := p.parseAssignTarget(nil, true)
	if err != nil {
		return nil, err
	}
	if p.isOp("=") {
		p.next()
		val, err := p.parseTuple(true, nil, false)
		if err != nil {
			return nil, err
		}
		return &setNode{target, val}, p.expectBlockEnd()
	}
	n := &setBlockNode{target: target}
	if p.isOp("|") {
		n.filter, err = p.parseFilterChain(nil)
		if err != nil {
			return nil, err
		}
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	n.body, _, err = p.parseBody("endset")
	if err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

// parseAssignTarget parses a name, a tuple of names or (withNS) ns.attr.
func (p *parser) parseAssignTarget(extraEnd []string, withNS bool) (expr, error) {
	if withNS && p.cur().typ == tName && p.peek(1).typ == tOp && p.peek(1).val == "." {
		name := p.next().val
		p.next()
		attr, err := p.expectName()
		if err != nil {
			return nil, err
		}
		return &nsTarget{name, attr}, nil
	}
	e, err := p.parseTuple(false, extraEnd, true)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(e); err != nil {
		return nil, p.fail("%v", err)
	}
	return e, nil
}

func checkTarget(e expr) error {
	switch x := e.(type) {
	case *nameExpr:
		switch x.name {
		case "true", "false", "none", "True", "False", "None":
			return fmt.Errorf("can't assign to '%s'", x.name)
		}
		return nil
	case *tupleExpr:
		for _, it := range x.items {
			if err := checkTarget(it); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("can't assign to %T", e)
}

func (p *parser) parseSignature() ([]string, []expr, error) {
	var params []string
	var defaults []expr
	if err := p.expectOp("("); err != nil {
		return nil, nil, err
	}
	for !p.isOp(")") {
		if len(params) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		name, err := p.expectName()
		if err != nil {
			return nil, nil, err
		}
		params = append(params, name)
		if p.isOp("=") {
			p.next()
			d, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			defaults = append(defaults, d)
		} else if len(defaults) > 0 {
			return nil, nil, p.fail("non-default argument follows default argument")
		}
	}
	p.next()
	return params, defaults, nil
}

func (p *parser) parseMacro() (node, error) {
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	params, defaults, err := p.parseSignature()
	if err != nil {
		return nil, err
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	saved := p.inLoop
	p.inLoop = 0
	refs := map[string]bool{}
	p.macros = append(p.macros, refs)
	body, _, err := p.parseBody("endmacro")
	p.macros = p.macros[:len(p.macros)-1]
	p.inLoop = saved
	if err != nil {
		return nil, err
	}
	if p.cur().typ == tName {
		p.next()
	}
	return &macroNode{name, params, defaults, body, refs}, p.expectBlockEnd()
}

func (p *parser) parseCallBlock() (node, error) {
	n := &callBlockNode{}
	var err error
	if p.isOp("(") {
		n.params, n.defaults, err = p.parseSignature()
		if err != nil {
			return nil, err
		}
	}
	e, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	c, ok := e.(*callExpr)
	if !ok {
		return nil, p.fail("expected call")
	}
	n.call = c
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	refs := map[string]bool{}
	p.macros = append(p.macros, refs)
	n.body, _, err = p.parseBody("endcall")
	p.macros = p.macros[:len(p.macros)-1]
	n.refs = refs
	if err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseFilterBlock() (node, error) {
	f, err := p.parseFilterChainFirst(nil, true)
	if err != nil {
		return nil, err
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody("endfilter")
	if err != nil {
		return nil, err
	}
	return &filterBlockNode{f, body}, p.expectBlockEnd()
}

func (p *parser) parseWith() (node, error) {
	n := &withNode{}
	for p.cur().typ != tBlockEnd {
		if len(n.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		t, err := p.parseAssignTarget(nil, false)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, t)
		n.vals = append(n.vals, v)
	}
	p.next()
	var err error
	n.body, _, err = p.parseBody("endwith")
	if err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

// ---- expressions ----

func (p *parser) isTupleEnd(extra []string) bool {
	t := p.cur()
	switch t.typ {
	case tVarEnd, tBlockEnd, tEOF:
		return true
	case tOp:
		return t.val == ")"
	case tName:
		for _, e := range extra {
			if t.val == e {
				return true
			}
		}
	}
	return false
}

// parseTuple mirrors Jinja2's Parser.parse_tuple.
func (p *parser) parseTuple(withCond bool, extraEnd []string, simplified bool) (expr, error) {
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		var e expr
		var err error
		if simplified {
			e, err = p.parsePrimary()
			if err == nil {
				// targets only allow names and nested tuples via parens
			}
		} else {
			e, err = p.parseExpression(withCond)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, e)
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0], nil
		}
		return nil, p.fail("Expected an expression, got %s", describe(p.cur()))
	}
	return &tupleExpr{items}, nil
}

func (p *parser) parseExpression(withCond bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if withCond {
		return p.parseCondExpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondExpr() (expr, error) {
	e1, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.isName("if") {
		p.next()
		p.soft++
		e2, err := p.parseOr()
		if err != nil {
			p.soft--
			return nil, err
		}
		var e3 expr
		if p.isName("else") {
			p.next()
			if err := p.enter(); err != nil {
				p.soft--
				return nil, err
			}
			e3, err = p.parseCondExpr()
			p.leave()
			if err != nil {
				p.soft--
				return nil, err
			}
		}
		p.soft--
		e1 = &condExpr{test: e2, t: e1, f: e3}
	}
	return e1, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isName("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &binExpr{"or", l, r}
	}
	return l, nil
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isName("and") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &binExpr{"and", l, r}
	}
	return l, nil
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{"not", x}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	var ops []string
	var rest []expr
	for {
		t := p.cur()
		var op string
		if t.typ == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">=") {
			op = t.val
			p.next()
		} else if p.isName("in") {
			op = "in"
			p.next()
		} else if p.isName("not") && p.peek(1).typ == tName && p.peek(1).val == "in" {
			op = "notin"
			p.next()
			p.next()
		} else {
			break
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		rest = append(rest, r)
	}
	if len(ops) == 0 {
		return first, nil
	}
	return &compareExpr{first, ops, rest}, nil
}

func (p *parser) parseBinLevel(ops []string, sub func() (expr, error)) (expr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t := p.cur()
		found := ""
		if t.typ == tOp {
			for _, o := range ops {
				if t.val == o {
					found = o
				}
			}
		}
		if found == "" {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &binExpr{found, l, r}
	}
}

func (p *parser) parseMath1() (expr, error) {
	return p.parseBinLevel([]string{"+", "-"}, p.parseConcat)
}

func (p *parser) parseConcat() (expr, error) {
	return p.parseBinLevel([]string{"~"}, p.parseMath2)
}

func (p *parser) parseMath2() (expr, error) {
	return p.parseBinLevel([]string{"*", "/", "//", "%"}, p.parsePow)
}

func (p *parser) parsePow() (expr, error) {
	return p.parseBinLevel([]string{"**"}, func() (expr, error) { return p.parseUnary(true) })
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var n expr
	var err error
	if p.isOp("-") || p.isOp("+") {
		op := p.next().val
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		n = &unaryExpr{op, x}
	} else {
		n, err = p.parsePrimary()
		if err != nil {
			return nil, err
		}
	}
	n, err = p.parsePostfix(n)
	if err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(n)
	}
	return n, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.cur()
	switch t.typ {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{true}, nil
		case "false", "False":
			return &constExpr{false}, nil
		case "none", "None":
			return &constExpr{nil}, nil
		}
		for _, m := range p.macros {
			m[t.val] = true
		}
		return &nameExpr{t.val, t.line}, nil
	case tString:
		p.next()
		s := t.val
		for p.cur().typ == tString {
			s += p.next().val
		}
		return &constExpr{s}, nil
	case tInt, tFloat:
		p.next()
		return &constExpr{t.num}, nil
	case tOp:
		switch t.val {
		case "(":
			p.next()
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer p.leave()
			if p.isOp(")") {
				p.next()
				return &tupleExpr{}, nil
			}
			e, err := p.parseTuple(true, nil, false)
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")")
		case "[":
			p.next()
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer p.leave()
			var items []expr
			for !p.isOp("]") {
				if len(items) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("]") {
						break
					}
				}
				e, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				items = append(items, e)
			}
			p.next()
			return &listExpr{items}, nil
		case "{":
			p.next()
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer p.leave()
			d := &dictExpr{}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("}") {
						break
					}
				}
				k, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				if err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
			}
			p.next()
			return d, nil
		}
	}
	return nil, p.fail("unexpected %s", describe(t))
}

func (p *parser) parsePostfix(n expr) (expr, error) {
	for {
		if p.isOp(".") || p.isOp("[") {
			var err error
			n, err = p.parseSubscript(n)
			if err != nil {
				return nil, err
			}
		} else if p.isOp("(") {
			var err error
			n, err = p.parseCall(n)
			if err != nil {
				return nil, err
			}
		} else {
			return n, nil
		}
	}
}

func (p *parser) parseFilterExpr(n expr) (expr, error) {
	for {
		if p.isOp("|") {
			var err error
			n, err = p.parseFilterChain(n)
			if err != nil {
				return nil, err
			}
		} else if p.isName("is") {
			var err error
			n, err = p.parseTest(n)
			if err != nil {
				return nil, err
			}
		} else if p.isOp("(") {
			var err error
			n, err = p.parseCall(n)
			if err != nil {
				return nil, err
			}
		} else {
			return n, nil
		}
	}
}

func (p *parser) parseSubscript(n expr) (expr, error) {
	t := p.next()
	if t.val == "." {
		a := p.cur()
		if a.typ == tName {
			p.next()
			return &attrExpr{n, a.val}, nil
		}
		if a.typ == tInt {
			p.next()
			return &itemExpr{n, &constExpr{a.num}}, nil
		}
		return nil, p.fail("expected name or number")
	}
	// '['
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var args []expr
	var slices []*sliceExpr
	for !p.isOp("]") {
		if len(args)+len(slices) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		a, s, err := p.parseSubscribed()
		if err != nil {
			return nil, err
		}
		if s != nil {
			slices = append(slices, s)
			args = append(args, s)
		} else {
			args = append(args, a)
		}
	}
	p.next()
	if len(args) == 0 {
		return nil, p.fail("expected subscript expression")
	}
	if len(args) == 1 {
		if s, ok := args[0].(*sliceExpr); ok {
			s.obj = n
			return s, nil
		}
		return &itemExpr{n, args[0]}, nil
	}
	if len(slices) > 0 {
		return nil, p.fail("extended slicing is not supported")
	}
	return &itemExpr{n, &tupleExpr{args}}, nil
}

func (p *parser) parseSubscribed() (expr, *sliceExpr, error) {
	var start expr
	if p.isOp(":") {
		p.next()
	} else {
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, nil, err
		}
		if !p.isOp(":") {
			return e, nil, nil
		}
		p.next()
		start = e
	}
	s := &sliceExpr{start: start}
	if !p.isOp("]") && !p.isOp(",") && !p.isOp(":") {
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, nil, err
		}
		s.stop = e
	}
	if p.isOp(":") {
		p.next()
		if !p.isOp("]") && !p.isOp(",") {
			e, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			s.step = e
		}
	}
	return nil, s, nil
}

func (p *parser) parseCallArgs() (callArgs, error) {
	var ca callArgs
	if err := p.expectOp("("); err != nil {
		return ca, err
	}
	if err := p.enter(); err != nil {
		return ca, err
	}
	defer p.leave()
	first := true
	for !p.isOp(")") {
		if !first {
			if err := p.expectOp(","); err != nil {
				return ca, err
			}
			if p.isOp(")") {
				break
			}
		}
		first = false
		if p.isOp("*") {
			p.next()
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.dynArgs = e
		} else if p.isOp("**") {
			p.next()
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.dynKwargs = e
		} else if p.cur().typ == tName && p.peek(1).typ == tOp && p.peek(1).val == "=" {
			name := p.next().val
			p.next()
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.kwargs = append(ca.kwargs, kwArg{name, e})
		} else {
			if len(ca.kwargs) > 0 || ca.dynArgs != nil || ca.dynKwargs != nil {
				return ca, p.fail("Invalid argument syntax")
			}
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.args = append(ca.args, e)
		}
	}
	p.next()
	return ca, nil
}

func (p *parser) parseCall(n expr) (expr, error) {
	ca, err := p.parseCallArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{n, ca}, nil
}

func (p *parser) parseFilterChain(n expr) (expr, error) {
	return p.parseFilterChainFirst(n, false)
}

// parseFilterChainFirst parses "|f(args)|g..."; with bare the first filter
// has no leading pipe (the filter block form).
func (p *parser) parseFilterChainFirst(n expr, bare bool) (expr, error) {
	for bare || p.isOp("|") {
		if !bare {
			p.next()
		}
		bare = false
		line := p.cur().line
		name, err := p.expectName()
		if err != nil {
			return nil, err
		}
		for p.isOp(".") {
			p.next()
			part, err := p.expectName()
			if err != nil {
				return nil, err
			}
			name += "." + part
		}
		f := &filterExpr{node: n, name: name, line: line, soft: p.soft > 0}
		if p.isOp("(") {
			f.callArgs, err = p.parseCallArgs()
			if err != nil {
				return nil, err
			}
		}
		if _, ok := filters[name]; !ok && !f.soft {
			return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("No filter named '%s'.", name)}
		}
		n = f
	}
	return n, nil
}

func (p *parser) parseTest(n expr) (expr, error) {
	p.next() // is
	negated := false
	if p.isName("not") {
		p.next()
		negated = true
	}
	line := p.cur().line
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	for p.isOp(".") {
		p.next()
		part, err := p.expectName()
		if err != nil {
			return nil, err
		}
		name += "." + part
	}
	t := &testExpr{node: n, name: name, line: line, soft: p.soft > 0}
	c := p.cur()
	if p.isOp("(") {
		t.callArgs, err = p.parseCallArgs()
		if err != nil {
			return nil, err
		}
	} else if (c.typ == tName || c.typ == tString || c.typ == tInt || c.typ == tFloat ||
		(c.typ == tOp && (c.val == "(" || c.val == "[" || c.val == "{"))) &&
		!(c.typ == tName && (c.val == "else" || c.val == "or" || c.val == "and")) {
		if p.isName("is") {
			return nil, p.fail("You cannot chain multiple tests with is")
		}
		a, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		a, err = p.parsePostfix(a)
		if err != nil {
			return nil, err
		}
		t.args = []expr{a}
	}
	if _, ok := tests[name]; !ok && !t.soft {
		return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("No test named '%s'.", name)}
	}
	var out expr = t
	if negated {
		out = &unaryExpr{"not", t}
	}
	return out, nil
}
