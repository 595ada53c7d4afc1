package rank

import (
	"fmt"
	mathrand "math/rand"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/quick"
)

func TestAlphabet(t *testing.T) {
	if len(digits) != base {
		t.Fatalf("len(digits) = %d, want %d", len(digits), base)
	}
	for i := 0; i < base; i++ {
		if i > 0 && digits[i-1] >= digits[i] {
			t.Errorf("digits not in ascending ASCII order at %d: %q >= %q", i, digits[i-1], digits[i])
		}
		if got := digitValue(digits[i]); got != i {
			t.Errorf("digitValue(%q) = %d, want %d", digits[i], got, i)
		}
	}
	for c := 0; c < 256; c++ {
		if strings.IndexByte(digits, byte(c)) < 0 && digitValue(byte(c)) != -1 {
			t.Errorf("digitValue(%q) = %d, want -1", byte(c), digitValue(byte(c)))
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"", false},
		{"0", false},
		{"a0", false},
		{"V00", false},
		{"a-b", false},
		{"a b", false},
		{"a_", false},
		{"é", false},
		{"a\x00", false},
		{"1", true},
		{"V", true},
		{"z", true},
		{"01", true},
		{"a0V", true},
		{"0Az9", true},
		{digits[1:], true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.key), func(t *testing.T) {
			if got := Valid(tt.key); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// checkBetween fails the test unless key is a valid key strictly between a
// and b (empty bounds are open).
func checkBetween(t testing.TB, a, b, key string) {
	t.Helper()
	if !Valid(key) {
		t.Fatalf("Between(%q, %q) = %q, which is not Valid", a, b, key)
	}
	if a != "" && !(a < key) {
		t.Fatalf("Between(%q, %q) = %q, not greater than lower bound", a, b, key)
	}
	if b != "" && !(key < b) {
		t.Fatalf("Between(%q, %q) = %q, not less than upper bound", a, b, key)
	}
}

func TestBetween(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string // exact expected key; results are deterministic
	}{
		{"empty column", "", "", "V"},
		{"before V", "", "V", "Uz"},
		{"after V", "V", "", "V1"},
		{"before 1", "", "1", "0z"},
		{"before 01", "", "01", "00zz"},
		{"before long", "", "V123", "V1"},
		{"after z", "z", "", "z001"},
		{"after yz", "yz", "", "z"},
		{"after long", "V123", "", "V2"},
		{"adjacent digits", "a", "b", "aV"},
		{"wide gap", "1", "y", "U"},
		{"prefix", "a", "a1", "a0V"},
		{"prefix deep", "a", "a01", "a00V"},
		{"longer lower", "az", "b", "azV"},
		{"across case", "Zz", "a", "ZzV"},
		{"upper is prefix+1", "a1", "a2", "a1V"},
		{"upper longer", "a", "b1", "b"},
		{"shared prefix", "abc", "abd", "abcV"},
		{"long gap", "01", "zz", "U"},
		{"tight", "ay", "az", "ayV"},
		{"smallest", "", "01", "00zz"},
		{"largest", "zzz", "", "zzz00001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Between(tt.a, tt.b)
			if err != nil {
				t.Fatalf("Between(%q, %q) error: %v", tt.a, tt.b, err)
			}
			checkBetween(t, tt.a, tt.b, got)
			if got != tt.want {
				t.Errorf("Between(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
			again, _ := Between(tt.a, tt.b)
			if again != got {
				t.Errorf("Between(%q, %q) not deterministic: %q then %q", tt.a, tt.b, got, again)
			}
		})
	}
}

func TestBetweenErrors(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"equal", "a", "a"},
		{"reversed", "b", "a"},
		{"reversed prefix", "a1", "a"},
		{"reversed case", "a", "Z"},
		{"lower ends in 0", "a0", ""},
		{"upper ends in 0", "", "a0"},
		{"both end in 0", "a0", "b0"},
		{"lower is 0", "0", "1"},
		{"lower bad char", "a-b", ""},
		{"upper bad char", "", "a-b"},
		{"bad char with valid other", "a", "a-b"},
		{"space", "a b", "c"},
		{"non-ASCII", "", "é"},
		{"NUL", "a\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Between(tt.a, tt.b)
			if err == nil {
				t.Fatalf("Between(%q, %q) = %q, want error", tt.a, tt.b, got)
			}
			if got != "" {
				t.Errorf("Between(%q, %q) returned key %q with error", tt.a, tt.b, got)
			}
			if !strings.HasPrefix(err.Error(), "rank: ") {
				t.Errorf("error %q lacks package prefix", err)
			}
		})
	}
}

// insertAt inserts a new key at position i of the sorted slice keys (between
// keys[i-1] and keys[i]) and returns the new slice.
func insertAt(t testing.TB, keys []string, i int) []string {
	t.Helper()
	var a, b string
	if i > 0 {
		a = keys[i-1]
	}
	if i < len(keys) {
		b = keys[i]
	}
	key, err := Between(a, b)
	if err != nil {
		t.Fatalf("Between(%q, %q) error: %v", a, b, err)
	}
	checkBetween(t, a, b, key)
	return slices.Insert(keys, i, key)
}

// checkSorted fails unless keys is strictly increasing, all keys are Valid
// and sort.Strings leaves the slice unchanged.
func checkSorted(t testing.TB, keys []string) {
	t.Helper()
	checkSortedScratch(t, keys, nil)
}

// checkSortedScratch is checkSorted using *scratch (if not nil) as reusable
// storage for the sorted copy.
func checkSortedScratch(t testing.TB, keys []string, scratch *[]string) {
	t.Helper()
	for i, k := range keys {
		if !Valid(k) {
			t.Fatalf("key %d = %q is not Valid", i, k)
		}
		if i > 0 && !(keys[i-1] < k) {
			t.Fatalf("keys not strictly increasing at %d: %q, %q", i, keys[i-1], k)
		}
	}
	var sorted []string
	if scratch != nil {
		*scratch = append((*scratch)[:0], keys...)
		sorted = *scratch
	} else {
		sorted = slices.Clone(keys)
	}
	sort.Strings(sorted)
	if !slices.Equal(sorted, keys) {
		t.Fatalf("sort.Strings changed the order of the keys")
	}
}

func TestRandomInsertions(t *testing.T) {
	// 10,000 insertions per case. After every insertion the whole column is
	// checked, which costs time quadratic in the column size, so the column
	// is started afresh every columnSize insertions.
	const iterations = 10000
	tests := []struct {
		name       string
		seed       uint64
		columnSize int
		pos        func(r *rand.Rand, n int) int // insertion position in [0, n]
	}{
		{"uniform", 1, 2500, func(r *rand.Rand, n int) int { return r.IntN(n + 1) }},
		{"mostly ends", 2, 2500, func(r *rand.Rand, n int) int {
			switch r.IntN(4) {
			case 0:
				return 0
			case 1:
				return n
			}
			return r.IntN(n + 1)
		}},
		{"clustered", 3, 1000, func(r *rand.Rand, n int) int {
			// Insert near the middle, which keeps subdividing one region;
			// keys grow long (about one character per 5 to 15 insertions).
			return min(n, max(0, n/2+r.IntN(5)-2))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := iterations
			if testing.Short() {
				n /= 5
			}
			r := rand.New(rand.NewPCG(tt.seed, 0x7ac4))
			var keys, scratch []string
			longest := 0
			for i := 0; i < n; i++ {
				if len(keys) == tt.columnSize {
					keys = keys[:0]
				}
				pos := tt.pos(r, len(keys))
				keys = insertAt(t, keys, pos)
				checkSortedScratch(t, keys, &scratch)
				longest = max(longest, len(keys[pos]))
			}
			t.Logf("%d insertions, longest key %d characters", n, longest)
		})
	}
}

func TestQuickInsertions(t *testing.T) {
	// Each value of ops is an insertion position, taken modulo the current
	// length+1; seed keys come from Spread(seedKeys%50).
	property := func(seedKeys uint8, ops []uint16) bool {
		keys := Spread(int(seedKeys % 50))
		for _, op := range ops {
			i := int(op) % (len(keys) + 1)
			var a, b string
			if i > 0 {
				a = keys[i-1]
			}
			if i < len(keys) {
				b = keys[i]
			}
			key, err := Between(a, b)
			if err != nil || !Valid(key) || (a != "" && key <= a) || (b != "" && key >= b) {
				t.Logf("Between(%q, %q) = %q, %v", a, b, key, err)
				return false
			}
			keys = slices.Insert(keys, i, key)
			if !sort.StringsAreSorted(keys) {
				return false
			}
		}
		for i := 1; i < len(keys); i++ {
			if keys[i-1] >= keys[i] || !Valid(keys[i]) {
				return false
			}
		}
		sorted := slices.Clone(keys)
		sort.Strings(sorted)
		return slices.Equal(sorted, keys)
	}
	cfg := &quick.Config{MaxCount: 500, Rand: mathrand.New(mathrand.NewSource(42))}
	if err := quick.Check(property, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestGrowthAppend(t *testing.T) {
	// Documented: <= 2 characters for the first 1,800 appends to an empty
	// column, <= 4 for the first 230,000.
	const n = 230000
	last := ""
	for i := 1; i <= n; i++ {
		key, err := Between(last, "")
		if err != nil {
			t.Fatal(err)
		}
		checkBetween(t, last, "", key)
		limit := 4
		if i <= 1800 {
			limit = 2
		}
		if len(key) > limit {
			t.Fatalf("append %d: key %q has length %d, want <= %d", i, key, len(key), limit)
		}
		last = key
	}
	t.Logf("after %d appends: %q", n, last)
}

func TestGrowthPrepend(t *testing.T) {
	const n = 230000
	first := ""
	for i := 1; i <= n; i++ {
		key, err := Between("", first)
		if err != nil {
			t.Fatal(err)
		}
		checkBetween(t, "", first, key)
		limit := 4
		if i <= 1800 {
			limit = 2
		}
		if len(key) > limit {
			t.Fatalf("prepend %d: key %q has length %d, want <= %d", i, key, len(key), limit)
		}
		first = key
	}
	t.Logf("after %d prepends: %q", n, first)
}

func TestGrowthAppendAfterSpread(t *testing.T) {
	// Appending 1,000 cards to a seeded column stays within 4 characters.
	for _, seed := range []int{1, 10, 100, 1000} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			keys := Spread(seed)
			last, first := keys[len(keys)-1], keys[0]
			for i := 1; i <= 1000; i++ {
				var err error
				if last, err = Between(last, ""); err != nil {
					t.Fatal(err)
				}
				if first, err = Between("", first); err != nil {
					t.Fatal(err)
				}
				if len(last) > 4 || len(first) > 4 {
					t.Fatalf("step %d: keys %q, %q longer than 4", i, last, first)
				}
			}
		})
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func TestGrowthSameGap(t *testing.T) {
	pairs := [][2]string{
		{"a", "b"},
		{"V", "W"},
		{"1", "z"},
		{"a", "a1"},
		{"Zz", "a"},
		{"0001", "0002"},
		{"yzzz", "z"},
		{"abc", "abcV"},
	}
	const n = 1000
	modes := []struct {
		name     string
		perChar  int // at least this many insertions per extra character
		moveLow  func(r *rand.Rand, i int) bool
		extraLen int
	}{
		// Always insert right after the fixed lower key: the upper bound moves.
		{"after fixed lower", 5, func(*rand.Rand, int) bool { return false }, 0},
		// Always insert right before the fixed upper key.
		{"before fixed upper", 6, func(*rand.Rand, int) bool { return true }, 0},
		// Always insert in the middle of the gap, alternating sides.
		{"zig-zag", 5, func(_ *rand.Rand, i int) bool { return i%2 == 0 }, 0},
		{"random side", 5, func(r *rand.Rand, _ int) bool { return r.IntN(2) == 0 }, 0},
	}
	for _, m := range modes {
		for _, p := range pairs {
			t.Run(fmt.Sprintf("%s/%s-%s", m.name, p[0], p[1]), func(t *testing.T) {
				r := rand.New(rand.NewPCG(7, 11))
				lo, hi := p[0], p[1]
				start := max(len(lo), len(hi))
				for i := 1; i <= n; i++ {
					key, err := Between(lo, hi)
					if err != nil {
						t.Fatal(err)
					}
					checkBetween(t, lo, hi, key)
					if limit := start + ceilDiv(i, m.perChar); len(key) > limit {
						t.Fatalf("insertion %d: key has length %d, want <= %d", i, len(key), limit)
					}
					if m.moveLow(r, i) {
						lo = key
					} else {
						hi = key
					}
				}
			})
		}
	}
}

// value returns the key as an integer in units of 62^-width.
func value(key string, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		v *= base
		if i < len(key) {
			v += uint64(digitValue(key[i]))
		}
	}
	return v
}

func TestSpread(t *testing.T) {
	tests := []struct {
		n, maxLen int
	}{
		{0, 0},
		{1, 1},
		{2, 1},
		{10, 1},
		{61, 1},
		{62, 2},
		{1000, 2},
		{3843, 2},
		{3844, 3},
		{100000, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			keys := Spread(tt.n)
			if len(keys) != tt.n {
				t.Fatalf("len(Spread(%d)) = %d", tt.n, len(keys))
			}
			checkSorted(t, keys)
			for _, k := range keys {
				if len(k) > tt.maxLen {
					t.Fatalf("key %q longer than %d", k, tt.maxLen)
				}
			}
			if tt.n == 0 {
				return
			}
			// Evenly spaced: all gaps, including those to the open ends at
			// 0 and 1, differ by at most one unit in the last place.
			space := uint64(1)
			for range tt.maxLen {
				space *= base
			}
			prev := uint64(0)
			minGap, maxGap := space, uint64(0)
			for _, k := range append(slices.Clone(keys), "") {
				v := space
				if k != "" {
					v = value(k, tt.maxLen)
				}
				minGap, maxGap = min(minGap, v-prev), max(maxGap, v-prev)
				prev = v
			}
			if maxGap-minGap > 1 {
				t.Errorf("gaps range from %d to %d units, want evenly spaced", minGap, maxGap)
			}
		})
	}
	if got := Spread(-1); len(got) != 0 {
		t.Errorf("Spread(-1) = %q, want empty", got)
	}
	if got := Spread(1); got[0] != "V" {
		t.Errorf("Spread(1) = %q, want [V]", got)
	}
}

func FuzzBetween(f *testing.F) {
	seeds := [][2]string{
		{"", ""},
		{"", "V"},
		{"V", ""},
		{"a", "b"},
		{"a", "a1"},
		{"az", "b"},
		{"Zz", "a"},
		{"", "01"},
		{"", "00001"},
		{"zzzz", ""},
		{"zzzy", "zzzz"},
		{"0001", "0002"},
		{"a0V", "a1"},
		{"a", "a"},
		{"b", "a"},
		{"a0", ""},
		{"a-b", "c"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		key, err := Between(a, b)
		if (a != "" && !Valid(a)) || (b != "" && !Valid(b)) || (a != "" && b != "" && a >= b) {
			if err == nil {
				t.Fatalf("Between(%q, %q) = %q, want error", a, b, key)
			}
			return
		}
		if err != nil {
			t.Fatalf("Between(%q, %q) error: %v", a, b, err)
		}
		checkBetween(t, a, b, key)
		// A key just inserted must itself be usable as a bound on both sides.
		for _, pair := range [][2]string{{a, key}, {key, b}} {
			k2, err := Between(pair[0], pair[1])
			if err != nil {
				t.Fatalf("Between(%q, %q) error: %v", pair[0], pair[1], err)
			}
			checkBetween(t, pair[0], pair[1], k2)
		}
	})
}

func BenchmarkBetween(b *testing.B) {
	deepLo, deepHi := "a", "b"
	for range 200 {
		m, _ := Between(deepLo, deepHi)
		deepHi = m
	}
	cases := []struct {
		name string
		a, b string
	}{
		{"empty", "", ""},
		{"middle", "a", "b"},
		{"append", "yzzzzz", ""},
		{"prepend", "", "00001"},
		{"deep", deepLo, deepHi},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Between(c.a, c.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("append-sequence", func(b *testing.B) {
		last := ""
		for b.Loop() {
			last, _ = Between(last, "")
		}
	})
}

func ExampleBetween() {
	first, _ := Between("", "")
	last, _ := Between(first, "")
	middle, _ := Between(first, last)
	top, _ := Between("", first)
	fmt.Println(top, first, middle, last)
	// Output: Uz V V0V V1
}

func ExampleSpread() {
	fmt.Println(Spread(5))
	// Output: [A K V f p]
}
