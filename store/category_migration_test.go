package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/migrations"
)

// TestColumnCategoryMigration: migration 00008 goes down and up again without losing
// columns, and a workflow saved before categories existed reads and replays with none
// set, so each column has the default of its place.
func TestColumnCategoryMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tack.db")
	s, err := OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, mustSeedUser(t, s, "Ana"), NewProject{Key: "OLD", Name: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := fs.Sub(migrations.FS, "sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	gp, err := goose.NewProvider(goose.DialectSQLite3, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gp.DownTo(ctx, 7); err != nil {
		t.Fatalf("down to 7: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('columns') WHERE name = 'category'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after down: %d category columns, %v", n, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM columns WHERE project_id = ?`, p.ID).Scan(&n); err != nil || n != 4 {
		t.Fatalf("after down: %d columns, %v", n, err)
	}
	db.Close()

	s, err = OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost}) // migrates up
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Project(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cs := catString(got.Columns); cs != "c1: c2: c3: c4:" {
		t.Errorf("categories after up %s, want none set", cs)
	}
	if !got.Done("c4") || got.Done("c3") || got.Category("c1") != CategoryToDo {
		t.Errorf("defaults by place: c1 %s, c3 %s, c4 %s", got.Category("c1"), got.Category("c3"), got.Category("c4"))
	}
	if _, err := s.write.Exec(`UPDATE columns SET category = 'finished' WHERE id = 'c1'`); err == nil {
		t.Errorf("the schema accepted an unknown category")
	}
	rep, err := s.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Fatalf("replay: %v\n%s", err, rep)
	}
}
