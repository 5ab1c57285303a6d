#!/usr/bin/python3
"""Regenerates features.golden.json: each case rendered by Jinja2 through
../shared/oracles/render_chat_template.py (transformers' environment).

Run from the repository root:
  /usr/bin/python3 chat/testdata/gen_features.py ../shared/oracles > chat/testdata/features.golden.json
"""
import json, sys
sys.path.insert(0, sys.argv[1])
import render_chat_template as rct

MSGS = [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi <b> & 'q'"},
        {"role": "assistant", "content": "Hello!", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"b": 1, "a": [1.5, None, True]}}}]},
        {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image"}]}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
KW = {"d": {"z": 1, "a": {"y": [1, 2]}, "m": "x"}, "n": 7, "f": 2.5, "s": "  Hello World  ", "l": [3, 1, 2], "e": [], "t": True, "u": None, "big": 12345678901234567, "uni": "héllo ✓ 中文 🙂\u2028x"}

T = {
 # whitespace control
 "ws_trim_lstrip": "a\n  {% if true %}\n  b\n  {% endif %}\nc\n",
 "ws_minus": "a  \n {%- if true -%}  \n b \n {%- endif -%} \n c",
 "ws_plus": "a\n  {%+ if true +%}\nb\n  {%+ endif %}\nc",
 "ws_var": "a\n  {{ 'x' }}  \n  {{- 'y' -}}  \nz",
 "ws_comment": "a\n  {# c #}\nb {#- c -#}   c\n{# x #}",
 "ws_raw": "{% raw %}{{ x }}{% endraw %}|\n  {% raw -%}  {% if %} {%- endraw %}|",
 "ws_crlf": "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n",
 "trailing_newline": "x\n",
 "trailing_two": "x\n\n",
 # literals & repr
 "repr_values": "{{ none }}|{{ true }}|{{ [1, 'a', none, 1.0, {'k': \"it's\"}] }}|{{ (1,) }}|{{ (1, 2) }}|{{ () }}|{{ 1, 2 }}|{{ {} }}",
 "repr_strings": "{{ ['a\\nb', 'q\"', \"s'\", 'both\\'\"', '\\t\\x01'] }}",
 "repr_unicode": "{{ [uni] }}|{{ uni }}",
 "floats": "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ -0.0 }} {{ 10 / 4 }} {{ 3 / 3 }} {{ f * 2 }} {{ big }}",
 "ints": "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ 2 ** -1 }} {{ 0x1F }} {{ 1_000 }} {{ 0b101 }} {{ 0o17 }} {{ -n }} {{ +n }} {{ true + 1 }}",
 "string_escapes": "{{ 'a\\tb\\\\c\\u00e9\\x41\\d\\101' }}|{{ \"x\" \"y\" 'z' }}",
 "err_string_escape": "{{ 'a\\N' }}",
 "err_string_escape_x": "{{ 'a\\x4' }}",
 "str_ops": "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ undefined_var }}",
 "compare_chain": "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 != 2 }} {{ none == none }} {{ 'a' in 'cat' }} {{ 2 in l }} {{ 'z' in d }} {{ 5 not in l }}",
 "logic": "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 1 }} {{ not 0 }} {{ none or [] }} {{ 'a' if false }}|{{ 'a' if n > 5 else 'b' }}",
 "cond_nested": "{{ 'a' if false else 'b' if false else 'c' }}",
 # slicing & indexing
 "slicing": "{{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ l[::-1] }} {{ l[-1] }} {{ l[1:] }} {{ 'hello'[-2:] }} {{ 'hello'[::2] }} {{ l[5:10] }} {{ 'abc'[-10:10] }} {{ l[:-1] }} {{ messages[-1].role }} {{ 'abc'[1] }} {{ l[10] }}|",
 "getattr_getitem": "{{ d.z }} {{ d['a']['y'][1] }} {{ d.a.y.0 }} {{ d.missing }}|{{ d['missing'] }}|{{ d['m'] }}",
 # string methods
 "str_methods": "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'hello'.capitalize() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}",
 "str_methods2": "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abcabc'.count('b') }} {{ '-'.join(['a', 'b']) }} {{ 'x'.center(5, '*') }} {{ 'x'.ljust(3, '.') }}|{{ '42'.zfill(5) }} {{ 'a=b'.partition('=') }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ '  '.isspace() }} {{ 'l1\\nl2'.splitlines() }}",
 "str_format": "{{ '{} and {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='n') }}|{{ '{:>5}|{:<5}|{:^5}'.format('a', 'b', 'c') }}|{{ '{:.2f} {:5d} {:05.1f} {:,}'.format(3.14159, 42, 2.5, 1234567) }}|{{ '{{}}{!r}'.format('q') }}",
 "percent_format": "{{ '%s-%d-%.2f-%5s-%-5s|-%r' % ('a', 3, 3.14159, 'b', 'c', 'd') }}|{{ '%s' % 'x' }}|{{ '%(a)s' % {'a': 1} }}|{{ '%x %o %e %g %%' % (255, 8, 12345.678, 0.00001) }}|{{ '%05d %+d' % (42, 5) }}",
 # dict methods
 "dict_methods": "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.get('m') }} {{ d.get('q') }} {{ d.get('q', 'def') }}|{{ d.items() }}|{{ d | length }}",
 "dict_literal_order": "{% set x = {'b': 1, 'a': 2, 'c': {'z': 0, 'y': 1}} %}{{ x }}|{{ x | tojson }}|{% for k in x %}{{ k }}{% endfor %}",
 # tests
 "tests": "{{ u is none }} {{ x is defined }} {{ x is undefined }} {{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ l is sequence }} {{ d is sequence }} {{ s is sequence }} {{ n is number }} {{ f is float }} {{ n is integer }} {{ t is boolean }} {{ t is true }} {{ t is false }} {{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ 2 is in l }} {{ n is eq 7 }} {{ n is gt 3 }} {{ n is lt 3 }} {{ n is ge 7 }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ n is sameas 7 }} {{ none is sameas none }} {{ x is iterable }} {{ x is sequence }} {{ range is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ t is number }} {{ n is not none }}",
 "test_in_if": "{% if messages[0].content is string and messages[3].content is not string %}ok{% endif %}{% if 'tool_calls' in messages[2] and messages[2].tool_calls is defined %}tc{% endif %}",
 # filters
 "filters_str": "{{ s | trim }}|{{ 'xxhixx' | trim('x') }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD-foo(bar' | title }}|{{ 'hello World' | capitalize }}|{{ 'aXa' | replace('a', 'b') }}|{{ 'aaa' | replace('a', 'b', 1) }}|{{ 42 | string }}|{{ none | string }}|{{ 'abc' | length }}|{{ 'x' | center(7) }}|{{ 'a b c d' | wordcount }}|{{ 'long text here ok' | truncate(9) }}|{{ 'long text here ok' | truncate(9, true) }}",
 "filters_num": "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '0x1f' | int(0, 16) }} {{ '3.5' | float }} {{ 'q' | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 3.14159 | round(2) }} {{ 3.14159 | round(2, 'floor') }} {{ 2.1 | round(0, 'ceil') }} {{ l | sum }} {{ l | max }} {{ l | min }} {{ [] | max }}|{{ 5 | round }}",
 "filters_list": "{{ l | first }} {{ l | last }} {{ l | sort }} {{ l | sort(reverse=true) }} {{ l | list }} {{ 'ab' | list }} {{ l | reverse | list }} {{ 'abc' | reverse }} {{ l | join(', ') }} {{ [1, 2, 1, 3] | unique | list }} {{ ['B', 'a', 'b'] | unique | list }} {{ ['b', 'A', 'c'] | sort }} {{ e | first }}|{{ l | length }} {{ l | count }} {{ [[1, 2], [3]] | map('length') | list }} {{ l | map('string') | join }} {{ range(5) | batch(2) | list }} {{ range(5) | slice(2) | list }}",
 "filters_select": "{{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ [0, 1, '', 'a', none] | select | list }} {{ messages | selectattr('role', 'equalto', 'user') | map(attribute='role') | list }} {{ messages | rejectattr('role', 'eq', 'user') | list | length }} {{ messages | selectattr('tool_calls') | list | length }} {{ messages | selectattr('tool_calls', 'defined') | map(attribute='tool_calls.0.function.name') | first }} {{ messages | map(attribute='nope', default='dflt') | list }}",
 "filters_dict": "{{ d | dictsort }} {{ d | dictsort(by='value') if false }} {{ {'b': 1, 'A': 2, 'c': 0} | dictsort }} {{ {'b': 1, 'A': 2} | dictsort(true) }} {{ {'b': 2, 'a': 1} | dictsort(reverse=true) }} {{ d | items | list }} {{ x | items | list }} {{ {'b': 1, 'a': 2} | dictsort(false, 'value') }}",
 "filters_default": "{{ x | default('dflt') }} {{ u | default('dflt') }} {{ '' | default('dflt') }} {{ '' | default('dflt', true) }} {{ x | d('d2') }} {{ d.q | default(d.m) }}",
 "filters_misc": "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('> ') }}|{{ '<b>&' | e }}|{{ '<b>' | escape }}|{{ '<b>' | safe }}|{{ '%s+%s' | format(1, 2) }}|{{ 'x y' | urlencode }}|{{ messages[0] | attr('role') }}|{{ [1, 'a'] | pprint }}|{{ '<p>hi  <i>there</i></p>' | striptags }}",
 "markup_concat": "{{ '<a>' | safe + '<b>' }}|{{ '<a>' + '<b>' | safe }}|{{ '<a>' | safe ~ '<b>' }}|{{ ('%s<' | safe) % '<' }}|{{ ('x' | safe) == 'x' }}",
 "groupby": "{% for g, items in messages | groupby('role') %}{{ g }}:{{ items | length }};{% endfor %}",
 # tojson
 "tojson_basic": "{{ d | tojson }}|{{ messages[2].tool_calls | tojson }}|{{ uni | tojson }}|{{ 'q\"\\\\\\n\\t\\x01' | tojson }}|{{ [1.0, 2, none, true, 1e20, 0.5] | tojson }}|{{ {} | tojson }}|{{ [] | tojson(indent=2) }}",
 "tojson_indent": "{{ d | tojson(indent=2) }}|{{ tools | tojson(indent=4) }}|{{ d | tojson(indent='\\t') }}|{{ [1, [2, {}]] | tojson(indent=0) }}",
 "tojson_opts": "{{ d | tojson(separators=(',', ':')) }}|{{ d | tojson(sort_keys=true) }}|{{ uni | tojson(ensure_ascii=true) }}|{{ {1: 'a', none: 2, true: 3, 1.5: 4} | tojson }}",
 "tojson_err_generator": "{{ l | map('string') | tojson }}",
 "tojson_err_undefined": "{{ x | tojson }}",
 # loops
 "loop_vars": "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }}|{% endfor %}",
 "loop_prev_next": "{% for x in l %}[{{ loop.previtem }}/{{ loop.nextitem }}]{{ loop.previtem is defined }}{% endfor %}",
 "loop_cycle_changed": "{% for x in [1, 1, 2, 3, 3] %}{{ loop.cycle('a', 'b', 'c') }}{% if loop.changed(x) %}!{% endif %}{% endfor %}",
 "loop_else": "{% for x in e %}x{% else %}empty{% endfor %}{% for x in l if x > 5 %}x{% else %}none>5{% endfor %}",
 "loop_filter": "{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }}{{ loop.length }} {% endfor %}",
 "loop_break_continue": "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "loop_recursive": "{% set tree = [{'n': 'a', 'c': [{'n': 'b', 'c': [{'n': 'c', 'c': []}]}]}, {'n': 'd', 'c': []}] %}{% for item in tree recursive %}{{ item.n }}{{ loop.depth }}{% if item.c %}({{ loop(item.c) }}){% endif %}{% endfor %}",
 "loop_unpack": "{% for a, b in [[1, 2], (3, 4)] %}{{ a }}{{ b }}{% endfor %}{% for k, v in {'x': 1}.items() %}{{ k }}{{ v }}{% endfor %}",
 "loop_string_dict": "{% for c in 'abc' %}{{ c }}.{% endfor %}{% for k in d %}{{ k }}{% endfor %}{% for i in range(2, 10, 3) %}{{ i }}{% endfor %}{% for x in undefined_thing %}never{% endfor %}",
 "loop_none_error": "{% for x in u %}{{ x }}{% endfor %}",
 "loop_scoping": "{% set c = 0 %}{% for i in [1, 2] %}{{ c }}{% set c = c + 1 %}{{ c }}{% endfor %}{{ c }}|{% for i in [1, 2] %}{% if i == 2 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}[{{ y }}]",
 "loop_nested": "{% for i in [1, 2] %}{% for j in 'ab' %}{{ i }}{{ j }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}",
 "namespace": "{% set ns = namespace(count=0, found=false) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.count = ns.count + 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.nope }}|{{ ns }}",
 "set_forms": "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set blk %}x{{ a }}y{% endset %}[{{ blk }}]{% set up | upper %}shout{% endset %}{{ up }}{% if true %}{% set inif = 5 %}{% endif %}{{ inif }}",
 "with_block": "{% with a = 1, b = 'x' %}{{ a }}{{ b }}{% endwith %}[{{ a }}]",
 "macros": "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }} {{ greet() }}|",
 "macro_varargs_kwargs": "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}",
 "macro_caller": "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ n }}{% endcall %}{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}",
 "macro_recursion": "{% macro render(v) %}{% if v is mapping %}{% for k, x in v.items() %}{{ k }}:{{ render(x) }};{% endfor %}{% elif v is sequence and v is not string %}[{% for x in v %}{{ render(x) }}{% endfor %}]{% else %}{{ v }}{% endif %}{% endmacro %}{{ render(d) }}",
 "macro_scope": "{% macro m() %}{{ q }}{% endmacro %}{% set q = 3 %}{{ m() }}{% for q in [9] %}{{ m() }}{% endfor %}",
 "filter_block": "{% filter upper %}hello {{ n }}{% endfilter %}|{% filter replace('a', 'o') | title %}banana bar{% endfilter %}",
 "generation_tag": "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.role }}{% endif %}\n{% endfor %}",
 "globals": "{{ range(3) }} {{ range(3) | list }} {{ dict(a=1, b=2) }} {{ namespace(a=1).a }} {% set c = cycler('x', 'y') %}{{ c.next() }}{{ c.next() }}{{ c.next() }} {% set j = joiner('|') %}{{ j() }}a{{ j() }}b",
 "strftime": "{{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%d %b %Y') }} {{ strftime_now('%A %B %-d %j %y %I %p') }}",
 "raise_exception": "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported: ' ~ messages[0].content) }}{% endif %}",
 "special_tokens": "{{ bos_token }}{% for m in messages %}{{ m.role }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}GEN{% endif %}{{ tools is none }}{{ documents is none }}",
 "content_parts": "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}{% if p.type == 'text' %}{{ p.text }}{% else %}<{{ p.type }}>{% endif %}{% endfor %}{% endif %}|{% endfor %}",
 # undefined semantics
 "undef_print": "[{{ x }}][{{ x | default }}][{{ x ~ 'a' }}][{{ x | length }}][{{ x | list }}][{{ x is defined }}][{{ not x }}][{{ x == x }}][{{ x | string }}][{{ d.nope }}][{{ d.nope is defined }}][{{ messages[9] }}][{{ 'a' in x }}]",
 "undef_attr_error": "{{ x.y }}",
 "undef_nested_attr_error": "{{ d.nope.deeper }}",
 "undef_call_error": "{{ x() }}",
 "undef_add_error": "{{ x + 1 }}",
 "undef_iter_attr_none": "{{ u.attr }}|{{ n.attr }}",
 # sandbox
 "unsafe_append": "{% set l2 = [1] %}{% set _ = l2.append(2) %}{{ l2 }}",
 "unsafe_pop": "{{ d.pop('m') }}",
 "unsafe_print": "{{ l.append }}|{{ l.append is defined }}",
 "list_methods": "{{ l.index(1) }} {{ l.count(3) }} {{ [1, 2].copy() }}",
 # errors
 "err_syntax": "{% if %}",
 "err_unclosed": "{% for x in l %}x",
 "err_unknown_tag": "{% do l.append(1) %}",
 "err_unknown_filter": "{{ 1 | nofilter }}",
 "err_unknown_filter_in_if": "{% if false %}{{ 1 | nofilter }}{% endif %}ok",
 "err_unknown_test": "{{ 1 is notatest }}",
 "err_include": "{% include 'x.jinja' %}",
 "err_zero_div": "{{ 1 / 0 }}",
 "err_type_add": "{{ 'a' + 1 }}",
 "err_compare": "{{ 'a' < 1 }}",
 "err_range": "{{ range(1000000) | length }}",
 "err_unpack": "{% set a, b = [1, 2, 3] %}",
 "err_ns_assign": "{% set x = 1 %}{% set x.y = 2 %}",
 "err_break_outside": "{% break %}",
 "err_str_in_int": "{{ 1 in 'abc' }}",
 "err_join_int": "{{ ', '.join([1, 2]) }}",
 "err_length_int": "{{ 5 | length }}",
 "err_first_none": "{{ none | first }}",
 "err_macro_kwarg": "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, z=5) }}",
 "extra_misc": "{{ 'a' ~ 1.0 }}|{{ 'x' is in 'xyz' }}|{{ 10 | string | length }}|{{ d | tojson | safe }}|{{ '%.1f' | format(2.25) }}|{{ 2.675 | round(2) }}|{{ '{:d}'.format(3) }}|{{ ' '.join(['a']) }}|{{ messages | length is odd }}|{{ 'straße' | upper }}|{{ 'ǅ' | lower }}",
 "extra_ns_empty": "{% set x = namespace() %}{% set x.a = 1 %}{{ x.a }}",
 "extra_ws_mix": "{%- for m in messages -%}\n  {{ m.role }}\n  {%- if not loop.last %},{% endif %}\n{%- endfor %}\n  {% if true -%}\n    X\n  {%- endif %}\n",
 "extra_set_in_macro": "{% set g = 1 %}{% macro m() %}{% set g = 2 %}{{ g }}{% endmacro %}{{ m() }}{{ g }}",
 "extra_loop_var_after": "{% for i in [1, 2] %}{% endfor %}[{{ i }}][{{ loop }}]",
 "extra_dict_iter_items": "{% for k, v in d | dictsort %}{{ k }}{% endfor %}{% for item in d.items() %}{{ item[0] }}{% endfor %}",
 "extra_string_compare": "{{ 'B' < 'a' }}{{ 'abc' == 'abc' }}{{ [1, 'a'] == [1, 'a'] }}{{ {'a': 1} == {'a': 1} }}{{ (1, 2) == [1, 2] }}",
 "extra_in_dict_values": "{{ 'x' in d.values() }}{{ 'm' in d.keys() }}{{ ('m', 'x') in d.items() }}",
 "extra_tojson_nested_indent": "{{ {'a': [], 'b': {}, 'c': [{}]} | tojson(indent=2) }}",
 "extra_float_print": "{{ 1/3 }} {{ 2.0 * 3 }} {{ 1e-7 }} {{ 123456789012345678.0 }} {{ 0.1 * 3 }} {{ 100.0 }} {{ 1.5e300 * 1e10 }}",
 "extra_int_filter_edge": "{{ '  12  ' | int }} {{ '1_000' | int }} {{ '-5' | int }} {{ true | int }} {{ none | int }} {{ '1e3' | int }} {{ '1e3' | float }}",
 "extra_join_attr": "{{ messages | join(', ', attribute='role') }}",
 "extra_selectattr_eq": "{{ messages | selectattr('role', '==', 'user') | list | length }}{{ messages | map(attribute='role') | unique | list }}",
 "extra_macro_default_ref": "{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}",
 "extra_tuple_print": "{% for t in d | dictsort %}{{ t }}{% endfor %}",
 "extra_unicode_slice": "{{ uni[1:4] }}{{ uni | length }}{{ uni[-1] }}{{ uni.upper() }}",
 "extra_escape_in_content": "{{ messages[1].content }}|{{ messages[1].content | e }}|{{ messages[1].content | tojson }}",
 "misc_is_precedence": "{{ not x is defined }} {{ 1 + 1 is odd }} {{ -1 | abs }} {{ - 2 ** 2 }} {{ (1, 2) | list }} {{ [1, 2, 3] | join('-') ~ 'x' }}",
 "misc_print_stmt": "{% print 'p' ~ n %}",
 "misc_loop_outer": "{% for m in messages %}{% set outer = loop %}{% for c in 'ab' %}{{ outer.index }}{{ loop.index }}{% endfor %}{% endfor %}",
}

def main():
    cases = []
    for name, src in T.items():
        req = {"template": src, "messages": MSGS, "tools": TOOLS, "add_generation_prompt": True,
               "special_tokens": {"bos_token": "<s>", "eos_token": "</s>"}, "kwargs": KW, "now": "2024-07-26T13:05:09"}
        if name == "special_tokens":
            req["tools"] = None
        out = rct.render_one(req)
        cases.append({"name": name, "request": req, "jinja2": out})
    json.dump(cases, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")

main()
