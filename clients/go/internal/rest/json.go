package rest

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// TF Serving's JSON is JSON plus the bare tokens NaN, Infinity and -Infinity,
// and its integers may exceed 2^53: encoding/json accepts neither, so responses
// are read by this small parser into a tree that keeps every number as its
// literal text, converted later by the output's dtype.

type kind int

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

type member struct {
	key   string
	value *node
}

type node struct {
	kind    kind
	text    string // number literal or decoded string
	boolean bool
	items   []*node
	members []member
}

func (n *node) get(key string) (*node, bool) {
	for _, m := range n.members {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// maxDepth bounds nesting so a hostile body cannot exhaust the stack.
const maxDepth = 256

type parser struct {
	data []byte
	pos  int
	slab []node // nodes are handed out from chunks: one allocation per nodeChunk
}

const nodeChunk = 64

// node returns a pointer to a copy of n that lives as long as the tree.
func (p *parser) node(n node) *node {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]node, 0, nodeChunk)
	}
	p.slab = append(p.slab, n)
	return &p.slab[len(p.slab)-1]
}

// parseJSON parses one JSON document with TF Serving's extensions.
func parseJSON(data []byte) (*node, error) {
	p := &parser{data: data}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, p.errorf("trailing data")
	}
	return n, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	p.space()
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		return p.node(node{kind: kString, text: s}), err
	case p.literal("true"):
		return p.node(node{kind: kBool, boolean: true}), nil
	case p.literal("false"):
		return p.node(node{kind: kBool}), nil
	case p.literal("null"):
		return p.node(node{kind: kNull}), nil
	case p.literal("NaN"):
		return p.node(node{kind: kNumber, text: "NaN"}), nil
	case p.literal("Infinity"):
		return p.node(node{kind: kNumber, text: "Infinity"}), nil
	case p.literal("-Infinity"):
		return p.node(node{kind: kNumber, text: "-Infinity"}), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

// numberToken consumes the characters a JSON number may hold and returns
// them, unchecked (validNumber checks them).
func (p *parser) numberToken() []byte {
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.pos++
			continue
		}
		break
	}
	return p.data[start:p.pos]
}

func (p *parser) number() (*node, error) {
	token := p.numberToken()
	if !validNumber(token) {
		return nil, p.errorf("bad number %q", token)
	}
	return p.node(node{kind: kNumber, text: string(token)}), nil
}

// validNumber is JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}

// str reads a string literal. Bytes outside escapes are kept as they are,
// valid UTF-8 or not: TF Serving writes a string output's raw bytes (RapidJSON
// does not validate encodings by default), and encoding/json would replace
// them with U+FFFD.
func (p *parser) str() (string, error) {
	p.pos++ // opening quote
	// Most strings (member names) hold no escape: one copy, no appends.
	for end := p.pos; end < len(p.data) && p.data[end] != '\\' && p.data[end] >= 0x20; end++ {
		if p.data[end] == '"' {
			s := string(p.data[p.pos:end])
			p.pos = end + 1
			return s, nil
		}
	}
	var out []byte
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(out), nil
		case c < 0x20:
			return "", p.errorf("control character %#x in a string", c)
		case c != '\\':
			out = append(out, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.data) {
			break
		}
		esc := p.data[p.pos+1]
		p.pos += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := p.unicodeEscape()
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.errorf("bad escape \\%c in a string", esc)
		}
	}
	return "", p.errorf("unterminated string")
}

// unicodeEscape reads the XXXX of \uXXXX (p.pos just after the u), and the
// low half of a surrogate pair; a lone surrogate is an error (RapidJSON
// refuses a high one without its low half; TF Serving never escapes either).
func (p *parser) unicodeEscape() (rune, error) {
	hex4 := func() (rune, error) {
		if p.pos+4 > len(p.data) {
			return 0, p.errorf("short \\u escape")
		}
		v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 16)
		if err != nil {
			return 0, p.errorf("bad \\u escape %q", p.data[p.pos:p.pos+4])
		}
		p.pos += 4
		return rune(v), nil
	}
	r, err := hex4()
	if err != nil || !utf16.IsSurrogate(r) {
		return r, err
	}
	if r >= 0xdc00 || !p.literal("\\u") {
		return 0, p.errorf("lone surrogate \\u%04x in a string", r)
	}
	low, err := hex4()
	if err != nil {
		return 0, err
	}
	if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
		return pair, nil
	}
	return 0, p.errorf("bad surrogate pair \\u%04x\\u%04x in a string", r, low)
}

func (p *parser) array(depth int) (*node, error) {
	p.pos++ // [
	n := p.node(node{kind: kArray})
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, item)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("expected , or ] in array")
		}
	}
}

func (p *parser) object(depth int) (*node, error) {
	p.pos++ // {
	n := p.node(node{kind: kObject})
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("expected a member name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected : after %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key, v})
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unterminated object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("expected , or } in object")
		}
	}
}
