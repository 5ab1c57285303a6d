package gguf

import (
	"fmt"
	"math"
)

// ValueType is the type of a GGUF metadata value. The numbering is part of
// the file format.
type ValueType uint32

// The GGUF metadata value types. The constant for arrays is ArrayType, since
// Array names the Go type that holds an array value.
const (
	Uint8     ValueType = 0
	Int8      ValueType = 1
	Uint16    ValueType = 2
	Int16     ValueType = 3
	Uint32    ValueType = 4
	Int32     ValueType = 5
	Float32   ValueType = 6
	Bool      ValueType = 7
	String    ValueType = 8
	ArrayType ValueType = 9
	Uint64    ValueType = 10
	Int64     ValueType = 11
	Float64   ValueType = 12
)

var valueTypeNames = [...]string{
	Uint8: "uint8", Int8: "int8", Uint16: "uint16", Int16: "int16",
	Uint32: "uint32", Int32: "int32", Float32: "float32", Bool: "bool",
	String: "string", ArrayType: "array", Uint64: "uint64", Int64: "int64",
	Float64: "float64",
}

// Valid reports whether t is one of the GGUF value types.
func (t ValueType) Valid() bool { return t <= Float64 }

// String returns the type's name ("uint32", "array"), or "valuetype(N)".
func (t ValueType) String() string {
	if t.Valid() {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("valuetype(%d)", uint32(t))
}

// size is the encoded size of a scalar value of type t, 0 for strings and
// arrays and unknown types.
func (t ValueType) size() uint64 {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Uint64, Int64, Float64:
		return 8
	}
	return 0
}

// Value holds one metadata value. Its Go value V is, by Type: uint8, int8,
// uint16, int16, uint32, int32, float32, bool, string, uint64, int64,
// float64, or Array.
type Value struct {
	Type ValueType
	V    any
}

// Array is an array value. Each element of Values has the Go type that goes
// with Elem; elements of nested arrays (Elem == ArrayType) are Arrays.
type Array struct {
	Elem   ValueType
	Values []any
}

// NewArray returns an Array of the values vs, whose Go type must be the one
// that goes with elem (string for String, float32 for Float32 ...); Write
// checks it. For example NewArray(String, tokens) or NewArray(Int32, types).
func NewArray[T any](elem ValueType, vs []T) Array {
	a := Array{Elem: elem, Values: make([]any, len(vs))}
	for i, v := range vs {
		a.Values[i] = v
	}
	return a
}

// KV is one metadata key and its value.
type KV struct {
	Key   string
	Value Value
}

// Metadata is the key-value section of a GGUF file, in file order.
type Metadata []KV

// Get returns the value stored under key.
func (m Metadata) Get(key string) (Value, bool) {
	for i := range m {
		if m[i].Key == key {
			return m[i].Value, true
		}
	}
	return Value{}, false
}

// String returns the string stored under key.
func (m Metadata) String(key string) (string, bool) {
	v, ok := m.Get(key)
	if !ok {
		return "", false
	}
	s, ok := v.V.(string)
	return s, ok
}

// Uint returns the integer stored under key, of any integer type, if it is
// not negative.
func (m Metadata) Uint(key string) (uint64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	return toUint(v.V)
}

// Int returns the integer stored under key, of any integer type, if it fits
// an int64.
func (m Metadata) Int(key string) (int64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	return toInt(v.V)
}

// Float returns the number stored under key: a float32 or float64, or an
// integer converted to float64.
func (m Metadata) Float(key string) (float64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := toInt(v.V); ok {
		return float64(i), true
	}
	if u, ok := toUint(v.V); ok {
		return float64(u), true
	}
	return 0, false
}

// Bool returns the bool stored under key.
func (m Metadata) Bool(key string) (bool, bool) {
	v, ok := m.Get(key)
	if !ok {
		return false, false
	}
	b, ok := v.V.(bool)
	return b, ok
}

func (m Metadata) array(key string) (Array, bool) {
	v, ok := m.Get(key)
	if !ok {
		return Array{}, false
	}
	a, ok := v.V.(Array)
	return a, ok
}

// Strings returns the array of strings stored under key, as a new slice.
func (m Metadata) Strings(key string) ([]string, bool) {
	a, ok := m.array(key)
	if !ok || a.Elem != String {
		return nil, false
	}
	out := make([]string, len(a.Values))
	for i, e := range a.Values {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// Float32s returns the array of float32 stored under key, as a new slice.
func (m Metadata) Float32s(key string) ([]float32, bool) {
	a, ok := m.array(key)
	if !ok || a.Elem != Float32 {
		return nil, false
	}
	out := make([]float32, len(a.Values))
	for i, e := range a.Values {
		f, ok := e.(float32)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

// Int32s returns the array of integers (of any integer type) stored under
// key converted to int32, as a new slice. It reports false if any element
// does not fit an int32.
func (m Metadata) Int32s(key string) ([]int32, bool) {
	a, ok := m.array(key)
	if !ok || !isInteger(a.Elem) {
		return nil, false
	}
	out := make([]int32, len(a.Values))
	for i, e := range a.Values {
		x, ok := toInt(e)
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

func isInteger(t ValueType) bool {
	switch t {
	case Uint8, Int8, Uint16, Int16, Uint32, Int32, Uint64, Int64:
		return true
	}
	return false
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// checkValue reports whether v holds a Go value of the type t says, recursing
// into arrays.
func checkValue(t ValueType, v any, depth int) error {
	ok := false
	switch t {
	case Uint8:
		_, ok = v.(uint8)
	case Int8:
		_, ok = v.(int8)
	case Uint16:
		_, ok = v.(uint16)
	case Int16:
		_, ok = v.(int16)
	case Uint32:
		_, ok = v.(uint32)
	case Int32:
		_, ok = v.(int32)
	case Float32:
		_, ok = v.(float32)
	case Bool:
		_, ok = v.(bool)
	case String:
		_, ok = v.(string)
	case Uint64:
		_, ok = v.(uint64)
	case Int64:
		_, ok = v.(int64)
	case Float64:
		_, ok = v.(float64)
	case ArrayType:
		a, isArr := v.(Array)
		if !isArr {
			break
		}
		if depth >= maxDepth {
			return fmt.Errorf("arrays nested deeper than %d", maxDepth)
		}
		if !a.Elem.Valid() {
			return fmt.Errorf("array of unknown value type %d", uint32(a.Elem))
		}
		for i, e := range a.Values {
			if err := checkValue(a.Elem, e, depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown value type %d", uint32(t))
	}
	if !ok {
		return fmt.Errorf("value of Go type %T does not match value type %s", v, t)
	}
	return nil
}
