package store

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		// Numbered as SQLite numbers them: a bare ? is one more than the largest so far.
		{`WHERE p = ?1 AND c = ?2 AND r > ? OR p = ?1`, `WHERE p = $1 AND c = $2 AND r > $3 OR p = $1`},
		{`VALUES (?, ?10, ?)`, `VALUES ($1, $10, $11)`},
		// Quoted strings and identifiers keep their question marks.
		{`SELECT '?', "a?b" FROM t WHERE x = ? AND y = 'it''s ?'`, `SELECT '?', "a?b" FROM t WHERE x = $1 AND y = 'it''s ?'`},
		{`WHERE x = 'unterminated ?`, `WHERE x = 'unterminated ?`},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
