package pgtest

import (
	"testing"
	"testing/fstest"
)

func TestEachCallGetsItsOwnMigratedDatabase(t *testing.T) {
	migrations := fstest.MapFS{
		"00001_things.sql": {Data: []byte("-- +goose Up\nCREATE TABLE things (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE things;\n")},
	}
	a := New(t, migrations)
	b := New(t, migrations)
	if a.Name == b.Name {
		t.Fatalf("two calls shared database %s", a.Name)
	}
	if _, err := a.Exec(`INSERT INTO things VALUES (1)`); err != nil {
		t.Fatalf("migrated table missing: %v", err)
	}
	var n int
	if err := b.Get(&n, `SELECT count(*) FROM things`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database b sees %d rows written to a", n)
	}
}
