// Package rank generates fractional ordering keys for the cards of a column,
// so that a card can be placed between two others without renumbering the
// rest of the column.
//
// # Key format
//
// A key is a non-empty string over the 62 digits
//
//	0-9 A-Z a-z
//
// (in that, ASCII, order) that does not end with the smallest digit '0'.
// A key k = d1 d2 ... dn is read as the base-62 fraction 0.d1d2...dn, so
// every key lies in the open interval (0, 1). Because the digits are in
// ASCII order and keys never end in '0', plain byte-wise string comparison
// (Go's < on strings, SQLite's default BINARY collation) orders keys exactly
// as their fractional values, and between any two distinct keys there is
// always room for another one.
//
// # Growth
//
// Between uses three strategies:
//
//   - Between("", "") returns "V", the middle digit.
//   - Between(a, "") (append) and Between("", b) (prepend) step by one unit
//     in a fixed digit position instead of halving the remaining space. A
//     key whose first k digits are 'z' (append) or '0' (prepend) is stepped
//     at digit 2k+2, so region k holds 61*62^(k+1) keys of at most 2k+2
//     characters. Starting from an empty column, keys therefore stay at most
//     2 characters long for the first 1,800 appends (or prepends), at most 4
//     for the first 230,000 and at most 6 for the first 14 million: length
//     grows logarithmically, about 2*log62(n)+2 characters after n appends.
//   - Between(a, b) with both bounds takes the digit-wise midpoint, which
//     halves the gap each time. Repeatedly inserting into the same gap adds
//     at most one character per 5 insertions: after n nested insertions
//     into (a, b), each between the previous result and one of its
//     neighbours (for example always right after a, or always right before
//     b, or zig-zagging), the key has at most max(len(a), len(b)) + ceil(n/5)
//     characters. Always inserting right after a fixed key grows by one
//     character every 5 insertions; right before a fixed key, every 6.
//
// All functions are deterministic.
package rank

import (
	"fmt"
	"math/bits"
)

// digits is the key alphabet in ascending (ASCII) order.
const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base is the number of digits in the alphabet.
const base = 62 // == len(digits); untyped so it mixes with int and uint64

// digitValue returns the value of c as a base-62 digit, or -1 if c is not a
// digit of the alphabet.
func digitValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

// Valid reports whether s is a well-formed key produced by this package:
// non-empty, made only of the characters 0-9, A-Z, a-z, and not ending with
// '0'.
func Valid(s string) bool {
	if s == "" || s[len(s)-1] == digits[0] {
		return false
	}
	for i := 0; i < len(s); i++ {
		if digitValue(s[i]) < 0 {
			return false
		}
	}
	return true
}

// Between returns a key that sorts strictly between a and b (byte-wise string comparison).
// a == "" means "no lower bound" (start of the list), b == "" means "no upper bound" (end).
// It returns an error when a and b are both non-empty and a >= b, or when a or b is not a valid key.
//
// Between(a, "") and Between("", b) return keys close to a and b
// respectively, so that repeatedly appending or prepending keeps keys short;
// Between(a, b) returns the midpoint of a and b. The result is always Valid.
func Between(a, b string) (string, error) {
	if a != "" && !Valid(a) {
		return "", fmt.Errorf("rank: invalid lower key %q", a)
	}
	if b != "" && !Valid(b) {
		return "", fmt.Errorf("rank: invalid upper key %q", b)
	}
	switch {
	case a == "" && b == "":
		return digits[base/2 : base/2+1], nil
	case b == "":
		return after(a), nil
	case a == "":
		return before(b), nil
	case a >= b:
		return "", fmt.Errorf("rank: lower key %q is not less than upper key %q", a, b)
	}
	return midpoint(a, b), nil
}

// stepPosition returns the 1-based digit position at which append/prepend
// steps a key that starts with k copies of the extreme digit. Moving the
// step two digits further per extreme digit makes the number of keys in each
// successive region grow geometrically (61*62^(k+1)), so key length grows
// only logarithmically with the number of appends.
func stepPosition(k int) int {
	return 2*k + 2
}

// fixed returns the first n digit values of key, padded with zeros.
func fixed(key string, n int) []int {
	d := make([]int, n)
	for i := 0; i < n && i < len(key); i++ {
		d[i] = digitValue(key[i])
	}
	return d
}

// encode converts digit values to a key, dropping trailing zeros.
func encode(d []int) string {
	n := len(d)
	for n > 0 && d[n-1] == 0 {
		n--
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = digits[d[i]]
	}
	return string(out)
}

// after returns a key greater than the valid key a, close to a.
func after(a string) string {
	k := 0
	for k < len(a) && a[k] == digits[base-1] {
		k++
	}
	// Truncate a to p digits and add one unit in the last place. Digit k
	// (0-based) is not the largest digit (or is padding), so the carry stops
	// there at the latest and the result stays below 1.
	p := stepPosition(k)
	d := fixed(a, p)
	for i := p - 1; ; i-- {
		d[i]++
		if d[i] < base {
			break
		}
		d[i] = 0
	}
	return encode(d)
}

// before returns a key less than the valid key b, close to b.
func before(b string) string {
	k := 0
	for k < len(b) && b[k] == digits[0] {
		k++
	}
	// b[k] is non-zero because b does not end in '0'.
	p := stepPosition(k)
	if len(b) > p {
		// A proper prefix of b is smaller than b; it is non-empty after
		// dropping trailing zeros because b[k] != '0' and k < p.
		return encode(fixed(b, p))
	}
	// Subtract one unit in the last of p places. Digit k is non-zero, so the
	// borrow stops there at the latest and the result stays above 0.
	d := fixed(b, p)
	for i := p - 1; ; i-- {
		d[i]--
		if d[i] >= 0 {
			break
		}
		d[i] = base - 1
	}
	return encode(d)
}

// midpoint returns a key strictly between the valid keys a < b, roughly
// halfway between them.
func midpoint(a, b string) string {
	var out []byte
	upper := true // whether b still bounds the digits being produced
	for i := 0; ; i++ {
		da := 0
		if i < len(a) {
			da = digitValue(a[i])
		}
		db := base
		if upper {
			// i < len(b) here: if a agreed with all of b, a >= b.
			db = digitValue(b[i])
		}
		switch {
		case da == db:
			out = append(out, digits[da])
		case db-da > 1:
			// Room for a digit strictly between; it is non-zero.
			return string(append(out, digits[(da+db)/2]))
		case upper && i+1 < len(b):
			// b[:i+1] is a proper prefix of b (so < b) and its last digit
			// exceeds a's, so it is > a. Its last digit is non-zero.
			return string(append(out, b[i]))
		default:
			// Adjacent digits: keep a's digit; b no longer constrains the
			// following digits, so continue towards "a followed by the
			// midpoint of the rest of a and 1".
			out = append(out, digits[da])
			upper = false
		}
	}
}

// Spread returns n keys in strictly increasing order, evenly spaced and short, for seeding a column (e.g. demo data or a rebuild).
//
// All keys have at most L characters, where L is the smallest length with
// 62^L > n (L = 1 for n <= 61, 2 for n <= 3843, 3 for n <= 238327, ...).
// Spread returns an empty slice for n <= 0.
func Spread(n int) []string {
	if n <= 0 {
		return []string{}
	}
	keys := make([]string, n)
	// Smallest width with base^width >= n+1, so that the n keys are distinct
	// non-zero values width digits long.
	width, space := 1, uint64(base)
	for space < uint64(n)+1 {
		width++
		space *= base
	}
	d := make([]int, width)
	for i := range keys {
		// Key i has the value floor((i+1) * space / (n+1)) / space, which is
		// strictly increasing in i and lies in [1, space-1] (in units of
		// 1/space) because space >= n+1.
		v := mulDiv(uint64(i)+1, space, uint64(n)+1)
		for j := width - 1; j >= 0; j-- {
			d[j] = int(v % base)
			v /= base
		}
		keys[i] = encode(d)
	}
	return keys
}

// mulDiv returns floor(x*y/z) for x <= z, computed without overflow.
func mulDiv(x, y, z uint64) uint64 {
	// x*y/z <= y, so the quotient fits in 64 bits (hi < z); use a 128-bit
	// intermediate product.
	hi, lo := bits.Mul64(x, y)
	q, _ := bits.Div64(hi, lo, z)
	return q
}
