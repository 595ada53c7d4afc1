package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

func TestServer(t *testing.T) {
	s, err := Start()
	if errors.Is(err, ErrNoBinaries) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ctx := context.Background()
	err = s.CreateTemplate(ctx, "tmpl", func(url string) error {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(`CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		url, drop, err := s.CreateDatabase(ctx, "tmpl")
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		var x int
		if err := db.QueryRow(`SELECT x FROM t`).Scan(&x); err != nil || x != 7 {
			t.Fatalf("copy of the template: x = %d, %v; want 7", x, err)
		}
		if _, err := db.Exec(`INSERT INTO t VALUES (8)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := drop(); err != nil {
			t.Fatal(err)
		}
	}
}
