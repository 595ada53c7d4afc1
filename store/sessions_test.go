package store

import (
	"bytes"
	"testing"
	"time"
)

// TestSessions: the session store keeps sessions in the store's database, on either
// backend: found until they expire, listed, deleted.
func TestSessions(t *testing.T) {
	s := mustOpenStore(t)
	sessions := s.Sessions(0)
	defer sessions.StopCleanup()
	if err := sessions.Commit("live", []byte("data\x00bytes"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Commit("expired", []byte("old"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	b, found, err := sessions.Find("live")
	if err != nil || !found || !bytes.Equal(b, []byte("data\x00bytes")) {
		t.Fatalf("Find(live) = %q, %v, %v", b, found, err)
	}
	if _, found, err := sessions.Find("expired"); err != nil || found {
		t.Fatalf("Find(expired) found = %v, %v; want false", found, err)
	}
	all, err := sessions.All()
	if err != nil || len(all) != 1 || all["live"] == nil {
		t.Fatalf("All() = %v, %v; want only live", all, err)
	}
	if err := sessions.Delete("live"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := sessions.Find("live"); err != nil || found {
		t.Fatalf("Find after Delete found = %v, %v", found, err)
	}
}
