package handlers_test

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// openBoardStream subscribes b to the DEMO board's live stream and returns its lines.
func openBoardStream(t *testing.T, b *browser) <-chan string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+"/projects/DEMO/board/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// fragment parses a live update.
func fragment(t *testing.T, data string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestPendingConflictIsServerState: Ben's refused move stays in front of him — in the
// live update that records it, in a later live card fragment of the task, in a full
// board resync, in the card panel — and nobody else ever sees it; it ends when he
// answers, or when he changes the same field himself.
func TestPendingConflictIsServerState(t *testing.T) {
	a := newApp(t)
	ana, ben := a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	anaLive, benLive := openBoardStream(t, ana), openBoardStream(t, ben)
	x := a.task("DEMO-10")
	conflictOf := `li.card.conflict[data-id="` + x.ID + `"]`
	plainCard := `li.card#task-` + x.ID + `:not(.conflict)`

	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: x.ID, BaseVersion: x.Version, ColumnID: "c4"}); err != nil {
		t.Fatal(err)
	}
	for _, lines := range []<-chan string{anaLive, benLive} {
		if doc := fragment(t, readBoardEvent(t, lines)); doc.Find(plainCard).Length() != 1 {
			t.Fatal("Ana's move did not reach an open board")
		}
	}
	_, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: x.ID, BaseVersion: x.Version, ColumnID: "c2"})
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Ben's stale move: %v, want a conflict", err)
	}

	t.Run("the live update recording it reaches only Ben", func(t *testing.T) {
		doc := fragment(t, readBoardEvent(t, benLive))
		if got := doc.Find(conflictOf).Text(); !strings.Contains(got, "Ana Lima moved DEMO-10 to Done") {
			t.Errorf("Ben's live update lacks the conflict: %q", got)
		}
		// Ana's next update is her own next change, not Ben's conflict.
		other := a.task("DEMO-11")
		if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: other.ID, BaseVersion: other.Version, ColumnID: "c3"}); err != nil {
			t.Fatal(err)
		}
		data := readBoardEvent(t, anaLive)
		if doc := fragment(t, data); doc.Find(`li.card#task-`+other.ID).Length() != 1 || strings.Contains(data, "conflict") {
			t.Errorf("Ana's next update is not her move of DEMO-11 alone:\n%.400s", data)
		}
		readBoardEvent(t, benLive) // Ben's copy of that move
	})

	t.Run("a live card fragment of the task shows it to Ben, not to Ana", func(t *testing.T) {
		cur := a.task("DEMO-10")
		if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: cur.Version, Title: store.Some("Velocity, renamed")}); err != nil {
			t.Fatal(err)
		}
		benDoc, anaDoc := fragment(t, readBoardEvent(t, benLive)), fragment(t, readBoardEvent(t, anaLive))
		if benDoc.Find(conflictOf).Length() != 1 || benDoc.Find(plainCard).Length() != 0 {
			t.Errorf("Ben's card fragment lost his conflict")
		}
		if anaDoc.Find(plainCard).Length() != 1 || anaDoc.Find("li.conflict").Length() != 0 {
			t.Errorf("Ana's card fragment is not the plain card")
		}
	})

	t.Run("a full resync, the panel and the task page show it to Ben only", func(t *testing.T) {
		resync := func(b *browser) *response {
			return b.do(http.MethodGet, "/projects/DEMO/board", nil, http.Header{"HX-Request": {"true"}})
		}
		if r := resync(ben); r.Doc.Find("#col-c4 "+conflictOf).Length() != 1 {
			t.Errorf("Ben's resync lost the conflict")
		}
		if r := resync(ana); r.Doc.Find("li.conflict").Length() != 0 || r.Doc.Find("#col-c4 "+plainCard).Length() != 1 {
			t.Errorf("Ana's resync shows Ben's conflict or lacks the card")
		}
		panel := ben.do(http.MethodGet, "/projects/DEMO/tasks/DEMO-10/panel", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"task-panel-body"}})
		expectText(t, panel, "section.conflict", "Ana Lima", "Move it to In Progress anyway", "Keep it in Done")
		expectText(t, ben.get("/projects/DEMO/tasks/DEMO-10"), "section.conflict", "Move it to In Progress anyway")
		if n := ana.get("/projects/DEMO/tasks/DEMO-10").Doc.Find("section.conflict").Length(); n != 0 {
			t.Errorf("Ana's task page shows %d conflicts", n)
		}
	})

	t.Run("answering ends it everywhere Ben looks", func(t *testing.T) {
		board := ben.get("/projects/DEMO/board")
		form := board.Doc.Find(conflictOf + " form")
		values := formValues(form)
		values.Set("choice", store.AnswerTheirs)
		r := ben.do(http.MethodPost, form.AttrOr("action", ""), values, http.Header{"HX-Request": {"true"}})
		expectStatus(t, r, http.StatusOK)
		if r.Doc.Find(plainCard).Length() != 1 || r.Doc.Find("li.conflict").Length() != 0 {
			t.Errorf("the answer's response does not put the plain card back")
		}
		expectText(t, r, "#announcer", "Kept the other change: DEMO-10 stays in Done.")
		if doc := fragment(t, readBoardEvent(t, benLive)); doc.Find(plainCard).Length() != 1 {
			t.Errorf("Ben's other tabs are not told that the conflict is answered")
		}
		if n := ben.get("/projects/DEMO/board").Doc.Find("li.conflict").Length(); n != 0 {
			t.Errorf("after answering, Ben's board still shows %d conflicts", n)
		}
		if got := a.task("DEMO-10").ColumnID; got != "c4" {
			t.Errorf("keeping Ana's move left DEMO-10 in %s", got)
		}
		expectText(t, ben.get("/projects/DEMO/tasks/DEMO-10"), "ol.history", "Ben Okafor kept Ana Lima's move of DEMO-10 to Done")
		// Answering again (another tab) is refused with a clear message.
		again := ben.do(http.MethodPost, form.AttrOr("action", ""), values, nil)
		expectStatus(t, again, http.StatusNotFound)
		expectText(t, again, "main", "answered already")
	})

	t.Run("his own later change of the field ends it", func(t *testing.T) {
		y := a.task("DEMO-12")
		if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: y.ID, BaseVersion: y.Version, ColumnID: "c4"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: y.ID, BaseVersion: y.Version, ColumnID: "c2"}); !errors.As(err, &ce) {
			t.Fatalf("Ben's stale move of DEMO-12: %v, want a conflict", err)
		}
		board := ben.get("/projects/DEMO/board")
		if board.Doc.Find(`li.card.conflict[data-key="DEMO-12"]`).Length() != 1 {
			t.Fatal("no conflict on DEMO-12")
		}
		cur := a.task("DEMO-12")
		r := ben.post("/projects/DEMO/board/move", url.Values{"task": {y.ID}, "base_version": {itoa(cur.Version)}, "to": {"column:c3"}})
		expectStatus(t, r, http.StatusSeeOther)
		if n := ben.get("/projects/DEMO/board").Doc.Find("li.conflict").Length(); n != 0 {
			t.Errorf("after Ben moved DEMO-12 himself, his board still shows %d conflicts", n)
		}
	})
}
