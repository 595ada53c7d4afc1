package store

import (
	"context"
	"database/sql/driver"

	"github.com/mattn/go-sqlite3"
)

// watchedConnector opens SQLite connections that report each statement they run to a
// function before running it: OpenOptions.OnStatement, for tests that count queries.
type watchedConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
	watch  func(query string)
}

func (c *watchedConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &watchedConn{SQLiteConn: conn.(*sqlite3.SQLiteConn), watch: c.watch}, nil
}

func (c *watchedConnector) Driver() driver.Driver { return c.driver }

// watchedConn is a go-sqlite3 connection whose statements are reported as they run.
// Prepared statements are reported at each execution, not when prepared.
type watchedConn struct {
	*sqlite3.SQLiteConn
	watch func(query string)
}

func (c *watchedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.watch(query)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

func (c *watchedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.watch(query)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c *watchedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *watchedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &watchedStmt{contextStmt: st.(contextStmt), query: query, watch: c.watch}, nil
}

// contextStmt is a prepared statement that runs with a context, as go-sqlite3's and
// pgx's are (neither has other methods database/sql uses).
type contextStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// watchedStmt is a prepared statement (of either driver) reported at each execution.
type watchedStmt struct {
	contextStmt
	query string
	watch func(query string)
}

func (s *watchedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.watch(s.query)
	return s.contextStmt.QueryContext(ctx, args)
}

func (s *watchedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.watch(s.query)
	return s.contextStmt.ExecContext(ctx, args)
}
