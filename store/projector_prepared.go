package store

import (
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// preparedTx is a transaction that prepares each distinct SQL text once and reuses the
// statement for every later call with that text. The fold runs a handful of statements
// per event; a replay runs them hundreds of thousands of times, and preparing each one
// anew cost more than running it. It satisfies sqlx.Ext, so the fold's helpers take it
// in place of the plain transaction.
type preparedTx struct {
	*sqlx.Tx
	stmts map[string]*sqlx.Stmt
}

var _ sqlx.Ext = (*preparedTx)(nil)

func newPreparedTx(tx *sqlx.Tx) *preparedTx {
	return &preparedTx{Tx: tx, stmts: map[string]*sqlx.Stmt{}}
}

func (p *preparedTx) stmt(query string) (*sqlx.Stmt, error) {
	if s, ok := p.stmts[query]; ok {
		return s, nil
	}
	s, err := p.Tx.Preparex(query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = s
	return s, nil
}

// Exec runs query as a prepared statement.
func (p *preparedTx) Exec(query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

// Query runs query as a prepared statement.
func (p *preparedTx) Query(query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.Query(args...)
}

// Queryx runs query as a prepared statement.
func (p *preparedTx) Queryx(query string, args ...any) (*sqlx.Rows, error) {
	s, err := p.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.Queryx(args...)
}

// QueryRowx runs query as a prepared statement. A statement that does not prepare is
// run unprepared, which returns the same error through the row.
func (p *preparedTx) QueryRowx(query string, args ...any) *sqlx.Row {
	s, err := p.stmt(query)
	if err != nil {
		return p.Tx.QueryRowx(query, args...)
	}
	return s.QueryRowx(args...)
}

// Close closes every statement it prepared; the transaction stays open.
func (p *preparedTx) Close() error {
	var first error
	for q, s := range p.stmts {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
		delete(p.stmts, q)
	}
	return first
}
