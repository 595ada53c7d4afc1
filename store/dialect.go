package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
)

// dialect is where the store's SQL differs between SQLite and PostgreSQL. Every query
// is written once, with ? placeholders (PostgreSQL's connections rewrite them to $n,
// see rebind), in SQL both understand; what cannot be is here, and nowhere else. The
// SQLite-only machinery (file checks, WAL checkpoints, the replay's throwaway file)
// stays in open.go, checkpoint.go and replay.go, used only when postgres is false.
type dialect struct {
	postgres bool
	goose    goose.Dialect
	folder   string // of migrations.FS

	// appendEvent inserts one event (stream, version, type, actor, at, data) and
	// returns its seq.
	appendEvent string
	// schemaTable counts the tables named ? (the schema version table's name).
	schemaTable string
}

var sqliteDialect = &dialect{
	goose:  goose.DialectSQLite3,
	folder: "sqlite3",
	// AUTOINCREMENT gives seq; the one writer connection makes it commit-ordered.
	appendEvent: `INSERT INTO events (stream, version, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
	schemaTable: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
}

// Positions on PostgreSQL. A sequence would hand out seq at INSERT, while transactions
// commit in any order: a reader asking for seq > 41 could see 43 commit before 42 and
// never look back. So every write transaction first takes one transaction-level
// advisory lock (beginWrite, the first statement of each transaction writeTx runs,
// held to its COMMIT or ROLLBACK), and an append takes MAX(seq)+1 under it: a primary
// key lookup. Positions are therefore dense (a rolled-back command's positions are
// taken again by the next) and commit in their order across every process on the
// database. The lock also gives the store's commands what SQLite's immediate
// transactions give them: what a command reads (a stream's version, a task's rank)
// cannot change before it commits, in this process (writeMu) or any other (the lock).
// Appends of all instances are serialised, as they are on SQLite.
var postgresDialect = &dialect{
	postgres: true,
	goose:    goose.DialectPostgres,
	folder:   "postgres",
	appendEvent: `INSERT INTO events (seq, stream, version, type, actor, at, data)
		VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, ?, ?, ?) RETURNING seq`,
	schemaTable: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
}

// writeLockKey is the advisory lock every write transaction on PostgreSQL holds: an
// arbitrary constant ("tack" in ASCII) that no other lock of Tack's uses.
const writeLockKey = 0x7461636b

// beginWrite is the first statement of a write transaction: on PostgreSQL it waits
// for the write lock (see postgresDialect); on SQLite the immediate transaction has
// already taken the database's write lock.
func (d *dialect) beginWrite(tx sqlx.Execer) error {
	if !d.postgres {
		return nil
	}
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, writeLockKey); err != nil {
		return fmt.Errorf("store: take the write lock: %w", err)
	}
	return nil
}

// jsonText is the SQL for the text of key in the JSON object in column col.
func (d *dialect) jsonText(col, key string) string {
	if d.postgres {
		return "(" + col + "::jsonb ->> '" + key + "')"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// jsonInt is the SQL for the integer at key in the JSON object in column col.
func (d *dialect) jsonInt(col, key string) string {
	if d.postgres {
		return "(" + col + "::jsonb ->> '" + key + "')::bigint"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// jsonStrings is a table expression of the strings in the JSON array in column col,
// one row each in a column named value.
func (d *dialect) jsonStrings(col string) string {
	if d.postgres {
		return "jsonb_array_elements_text(" + col + "::jsonb) AS value"
	}
	return "json_each(" + col + ")"
}

// contains is the SQL for: s holds sub, with sub a ? placeholder or an expression.
func (d *dialect) contains(s, sub string) string {
	if d.postgres {
		return "strpos(" + s + ", " + sub + ") > 0"
	}
	return "instr(" + s + ", " + sub + ") > 0"
}

// primaryKey lists the primary key columns of table (in schema, "" for the default)
// in key order.
func (d *dialect) primaryKey(ctx context.Context, q sqlx.QueryerContext, schema, table string) ([]string, error) {
	var pk []string
	var err error
	if d.postgres {
		if schema != "" {
			table = schema + "." + table
		}
		err = sqlx.SelectContext(ctx, q, &pk, `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary
			ORDER BY array_position(CAST(i.indkey AS int2[]), a.attnum)`, table)
	} else {
		err = sqlx.SelectContext(ctx, q, &pk, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
	}
	return pk, err
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint refusing
// a row.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isPostgresURL reports whether the database named by dsn is PostgreSQL: a URL
// postgres://… or postgresql://…; anything else is an SQLite file's path.
func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// rebindingConnector opens pgx connections that take the store's SQL as written: each
// query's ? placeholders become PostgreSQL's $n (rebind, cached per distinct query),
// and every statement is reported to watch first, when set.
type rebindingConnector struct {
	driver.Connector
	watch func(query string)
	cache sync.Map // query as written → rebound
}

func (c *rebindingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindingConn{Conn: conn.(*stdlib.Conn), c: c}, nil
}

// sql reports query to watch and returns it rebound.
func (c *rebindingConnector) sql(query string) string {
	if c.watch != nil {
		c.watch(query)
	}
	return c.rebound(query)
}

// rebound returns query with $n placeholders.
func (c *rebindingConnector) rebound(query string) string {
	if q, ok := c.cache.Load(query); ok {
		return q.(string)
	}
	q := rebind(query)
	c.cache.Store(query, q)
	return q
}

// rebindingConn is a pgx connection whose statements are rebound (and reported).
type rebindingConn struct {
	*stdlib.Conn
	c *rebindingConnector
}

func (c *rebindingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, c.c.sql(query), args)
}

func (c *rebindingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, c.c.sql(query), args)
}

func (c *rebindingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *rebindingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, c.c.rebound(query))
	if err != nil || c.c.watch == nil {
		return st, err
	}
	return &watchedStmt{contextStmt: st.(contextStmt), query: query, watch: c.c.watch}, nil
}

// rebind turns SQLite's placeholders into PostgreSQL's: ?NNN becomes $NNN, and a bare ?
// becomes $ one more than the largest number given so far, which is how SQLite numbers
// it. Question marks inside quoted strings or identifiers are left alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	largest := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch ch {
		case '\'', '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
			continue
		case '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				fmt.Sscan(query[i+1:j], &n)
			}
			largest = max(largest, n)
			fmt.Fprintf(&b, "$%d", n)
			i = j - 1
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}
