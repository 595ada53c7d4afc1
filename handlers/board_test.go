package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// columnCards returns the card keys of one board column in order.
func columnCards(r *response, column string) []string {
	var keys []string
	r.Doc.Find("#col-" + column + " li.card").Each(func(_ int, s *goquery.Selection) {
		keys = append(keys, cardKey(s))
	})
	return keys
}

// cardOf selects the board card of the task with this key: the card whose link leads
// to the task (a card does not repeat its key in an attribute).
func cardOf(key string) string {
	return `li.card:has(a.card-link[href$="/tasks/` + key + `"])`
}

// cardKey is the key a board card shows (first in its link), or a conflict names.
func cardKey(card *goquery.Selection) string {
	if key, ok := card.Attr("data-key"); ok {
		return key
	}
	return card.Find("a.card-link small").Text()
}

func TestBoardRendersColumnsAndCards(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	r := ben.get("/projects/DEMO/board")
	expectStatus(t, r, http.StatusOK)

	for _, col := range a.demo.Columns {
		sec := r.Doc.Find("section#col-" + col.ID)
		if sec.Length() != 1 {
			t.Fatalf("column %s: want one section, found %d", col.Name, sec.Length())
		}
		labelled := sec.AttrOr("aria-labelledby", "")
		if heading := r.Doc.Find("#" + labelled); !strings.Contains(heading.Text(), col.Name) {
			t.Errorf("column %s is labelled by %q whose text is %q", col.Name, labelled, heading.Text())
		}
	}
	if got := r.Doc.Find("li.card").Length(); got != 21 {
		t.Errorf("board shows %d cards, want the demo's 21", got)
	}
	// In Review holds 2 cards under a WIP limit of 2: not over. Card facts are shown.
	expectText(t, r, "#colh-c3", "In Review", "2", "WIP limit 2")
	if r.Doc.Find("#col-c3.over").Length() != 0 {
		t.Errorf("In Review is marked over its limit with 2 of 2 cards")
	}
	card := r.Doc.Find(cardOf("DEMO-3"))
	for _, want := range []string{"DEMO-3", "As a user I can reset my password", "5", "BO"} {
		if !strings.Contains(card.Text(), want) {
			t.Errorf("card DEMO-3 does not show %q: %q", want, strings.Join(strings.Fields(card.Text()), " "))
		}
	}
	// Type, priority and assignee are icons named by their titles.
	for _, want := range []string{"Story", "High priority", "Ben Okafor"} {
		if card.Find(`[role="img"][title="`+want+`"]`).Length() != 1 {
			t.Errorf("card DEMO-3 has no icon named %q", want)
		}
	}
	if r.Doc.Find(`#announcer[role="status"]`).Length() != 1 {
		t.Errorf("board has no role=status live region")
	}
	if r.Doc.Find(`li.card a.move-button`).Length() != 21 {
		t.Errorf("every card needs a Move button")
	}
}

func TestBoardWIPLimitExceededIsMarkedInText(t *testing.T) {
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	// In Review (c3) has a WIP limit of 2 and holds 2; a third card puts it over.
	tk := a.task("DEMO-8")
	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c3"}); err != nil {
		t.Fatal(err)
	}
	r := ana.get("/projects/DEMO/board")
	expectText(t, r, "#colh-c3", "over WIP limit of 2")
	if r.Doc.Find("#col-c3.over").Length() != 1 {
		t.Errorf("In Review over its limit is not marked")
	}
}

func TestBoardFilter(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	cases := []struct {
		query string
		want  int
	}{
		{"type=bug", 3},
		{"assignee=" + a.ben.ID, 6},
		{"assignee=none", 9},
		{"label=reports", 3},
		{"q=report", 2},
		{"q=DEMO-12", 1},
		{"type=bug&label=ui", 1},
		{"q=no-such-text", 0},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := ben.get("/projects/DEMO/board?" + c.query)
			expectStatus(t, r, http.StatusOK)
			if got := r.Doc.Find("li.card").Length(); got != c.want {
				t.Errorf("%d cards, want %d", got, c.want)
			}
			q, _ := url.ParseQuery(c.query)
			// The filter form shows the filter, and moves keep it.
			if v := r.Doc.Find(`#filter-text`).AttrOr("value", ""); v != q.Get("q") {
				t.Errorf("text box holds %q, want %q", v, q.Get("q"))
			}
			if c.want > 0 {
				href := r.Doc.Find(`li.card a.move-button`).First().AttrOr("href", "")
				if u, err := url.Parse(href); err != nil || u.RawQuery != q.Encode() {
					t.Errorf("Move links go to %q, want the filter %q kept", href, q.Encode())
				}
				if f := r.Doc.Find(`#drag-move input[name="filter"]`).AttrOr("value", ""); f != q.Encode() {
					t.Errorf("the drag form carries filter %q, want %q", f, q.Encode())
				}
			}
		})
	}
}

func TestBoardViewerHasNoMoveControls(t *testing.T) {
	a := newApp(t)
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	r := chloe.get("/projects/DEMO/board")
	expectStatus(t, r, http.StatusOK)
	if n := r.Doc.Find(".move-button, form.move-options, #move-menu-template").Length(); n != 0 {
		t.Errorf("viewer sees %d Move menus", n)
	}
	if r.Doc.Find("li.card").Length() != 21 {
		t.Errorf("viewer does not see the cards")
	}
	tk := a.task("DEMO-9")
	before := a.eventCount()
	res := chloe.post("/projects/DEMO/board/move", url.Values{"task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)}, "to": {"column:c2"}})
	expectStatus(t, res, http.StatusForbidden)
	if a.eventCount() != before {
		t.Errorf("a viewer's move appended events")
	}
}

func TestBoardNonMemberGetsNotFound(t *testing.T) {
	a := newApp(t)
	eve := a.browser()
	eve.signUp("eve@example.com", "Eve", "eve-password")
	for _, path := range []string{"/projects/DEMO/board", "/projects/DEMO/board/stream"} {
		expectStatus(t, eve.get(path), http.StatusNotFound)
	}
	expectStatus(t, eve.post("/projects/DEMO/board/move", url.Values{"task": {a.task("DEMO-1").ID}, "base_version": {"1"}, "to": {"column:c1"}}), http.StatusNotFound)
}

// TestBoardMoveWithoutJavaScript posts the Move menu's form as a browser without
// JavaScript does: a redirect back to the board, the card in its new place with focus
// on its Move button, and the announcement in the live region.
func TestBoardMoveWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	board := ben.get("/projects/DEMO/board")
	tk := a.task("DEMO-9")
	r := ben.submit(ben.movePage(board, "DEMO-9"), "form.move-options", map[string]string{"to": "column:c2"})
	expectStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.Location, "/projects/DEMO/board?") || !strings.Contains(r.Location, "moved="+tk.ID) {
		t.Errorf("redirect to %q, want the board with moved=%s", r.Location, tk.ID)
	}
	back := ben.follow(r)
	cards := columnCards(back, "c2")
	if len(cards) == 0 || cards[len(cards)-1] != "DEMO-9" {
		t.Errorf("In Progress is %v, want DEMO-9 at the bottom", cards)
	}
	if _, ok := back.Doc.Find(cardOf("DEMO-9") + ` a.move-button`).Attr("autofocus"); !ok {
		t.Errorf("the moved card's Move button is not focused")
	}
	expectText(t, back, "#announcer", fmt.Sprintf("Moved DEMO-9 to In Progress, position %d of %d.", len(cards), len(cards)))
}

func TestBoardStepMoves(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	steps := []struct {
		key, to string
		want    []string
	}{
		{"DEMO-7", "top", []string{"DEMO-7", "DEMO-5", "DEMO-6"}},
		{"DEMO-7", "down", []string{"DEMO-5", "DEMO-7", "DEMO-6"}},
		{"DEMO-6", "up", []string{"DEMO-5", "DEMO-6", "DEMO-7"}},
		{"DEMO-5", "bottom", []string{"DEMO-6", "DEMO-7", "DEMO-5"}},
	}
	for _, s := range steps {
		board := ben.get("/projects/DEMO/board")
		r := ben.submit(ben.movePage(board, s.key), "form.move-options", map[string]string{"to": s.to})
		expectStatus(t, r, http.StatusSeeOther)
		if got := columnCards(ben.get("/projects/DEMO/board"), "c2"); strings.Join(got, " ") != strings.Join(s.want, " ") {
			t.Fatalf("after %s %s: In Progress is %v, want %v", s.key, s.to, got, s.want)
		}
	}
}

// TestBoardConflictWithoutJavaScript: Ana moves a card to Done; Ben, holding the old
// version, moves it to In Progress: 409 with the conflict in place of the card; "Move
// anyway" applies his move with the new version.
func TestBoardConflictWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	ana, ben := a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	benMove := ben.movePage(ben.get("/projects/DEMO/board"), "DEMO-10")
	anaMove := ana.movePage(ana.get("/projects/DEMO/board"), "DEMO-10")
	expectStatus(t, ana.submit(anaMove, "form.move-options", map[string]string{"to": "column:c4"}), http.StatusSeeOther)

	r := ben.submit(benMove, "form.move-options", map[string]string{"to": "column:c2"})
	expectStatus(t, r, http.StatusConflict)
	conflict := r.Doc.Find("#col-c4 li.card.conflict")
	if conflict.Length() != 1 {
		t.Fatalf("want the conflict in place of the card in Done; page: %.300s", r.Text("#board"))
	}
	expectText(t, r, "li.card.conflict", "Ana Lima moved DEMO-10 to Done", "Move it to In Progress anyway", "Keep it in Done")
	expectText(t, r, "#announcer", "Conflict:")
	if got := a.task("DEMO-10").ColumnID; got != "c4" {
		t.Fatalf("after the conflict DEMO-10 is in %s, want c4 (Done)", got)
	}

	// The conflict is the server's state now: a reload shows it again, Ana never sees it.
	reload := ben.get("/projects/DEMO/board")
	expectText(t, reload, "#col-c4 li.card.conflict", "Ana Lima moved DEMO-10 to Done")
	if n := ana.get("/projects/DEMO/board").Doc.Find("li.card.conflict").Length(); n != 0 {
		t.Errorf("Ana's board shows %d conflicts, want none of Ben's", n)
	}

	again := ben.submit(reload, "li.card.conflict form", map[string]string{"choice": "mine"})
	expectStatus(t, again, http.StatusSeeOther)
	if got := a.task("DEMO-10").ColumnID; got != "c2" {
		t.Errorf("after Move anyway DEMO-10 is in %s, want c2 (In Progress)", got)
	}
	landed := ben.follow(again)
	expectText(t, landed, "#board-notice", "Moved DEMO-10 to In Progress.")
	if n := landed.Doc.Find("li.card.conflict").Length(); n != 0 {
		t.Errorf("after answering, the board still shows %d conflicts", n)
	}
	page := ben.get("/projects/DEMO/tasks/DEMO-10")
	expectText(t, page, "ol.history", "Ana Lima moved DEMO-10 from To Do to Done", "Ben Okafor tried to move DEMO-10",
		"Ben Okafor moved DEMO-10 from Done to In Progress", "Ben Okafor chose to move DEMO-10 to In Progress anyway, over Ana Lima's move to Done")
}

// TestBoardConcurrentSameCardMoves fires two moves of the same card from the same
// version to different columns at once, many times: exactly one applies, the other
// gets 409 with the conflict fragment, every time.
func TestBoardConcurrentSameCardMoves(t *testing.T) {
	a := newApp(t)
	ana, ben := a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	// Load a page each so both have a CSRF token.
	ana.get("/projects/DEMO/board")
	ben.get("/projects/DEMO/board")
	const rounds = 40
	for i := range rounds {
		tk := a.task("DEMO-12")
		targets := []string{"c2", "c3"}
		if tk.ColumnID == "c2" || tk.ColumnID == "c3" {
			targets = []string{"c1", "c4"}
		}
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		errs := make([]error, 2)
		for j, b := range []*browser{ana, ben} {
			wg.Go(func() {
				form := url.Values{"_csrf": {b.token}, "task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)}, "to": {"column:" + targets[j]}}
				req, err := http.NewRequest(http.MethodPost, b.base+"/projects/DEMO/board/move", strings.NewReader(form.Encode()))
				if err != nil {
					errs[j] = err
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("HX-Request", "true")
				res, err := b.client.Do(req)
				if err != nil {
					errs[j] = err
					return
				}
				res.Body.Close()
				statuses[j] = res.StatusCode
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ok, conflict := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("round %d: statuses %v, want exactly one 200 and one 409", i, statuses)
		}
		after := a.task("DEMO-12")
		if after.Version != tk.Version+1 {
			t.Fatalf("round %d: version went from %d to %d, want exactly one move applied", i, tk.Version, after.Version)
		}
	}
}

// readBoardEvent reads SSE lines until one whole "board" event and returns its data.
func readBoardEvent(t *testing.T, lines <-chan string) string {
	t.Helper()
	var data []string
	inBoard := false
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("stream ended before a board event")
			}
			// Live writes id, event and data lines in that order.
			switch {
			case line == "event: board":
				inBoard = true
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			case line == "":
				if inBoard && len(data) > 0 {
					return strings.Join(data, "\n")
				}
				data, inBoard = nil, false
			}
		case <-timeout:
			t.Fatal("no board event within 10 s")
		}
	}
}

// TestBoardLiveUpdateSendsOnlyTheChangedCard: when one card moves, open boards receive
// that card with where to put it and the two column headings, not whole columns.
func TestBoardLiveUpdateSendsOnlyTheChangedCard(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	lines := openBoardStream(t, ben)
	// The stream is registered once its headers are out; move a card as Ana.
	tk := a.task("DEMO-9")
	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c2", AfterID: a.task("DEMO-5").ID}); err != nil {
		t.Fatal(err)
	}
	data := readBoardEvent(t, lines)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Find(`li#task-`+tk.ID+`[hx-swap-oob="delete"]`).Length() != 1 {
		t.Errorf("the update does not remove the card from its old place:\n%.500s", data)
	}
	insert := doc.Find(`div[hx-swap-oob="afterend:#task-` + a.task("DEMO-5").ID + `"]`)
	if insert.Find(cardOf("DEMO-9")).Length() != 1 {
		t.Errorf("the update does not insert DEMO-9 right after DEMO-5:\n%.800s", data)
	}
	if got := doc.Find("li.card").Length(); got != 1 {
		t.Errorf("the update carries %d cards, want only the moved one", got)
	}
	for _, col := range []string{"c1", "c2"} {
		if doc.Find(`h2#colh-`+col+`[hx-swap-oob="outerHTML"]`).Length() != 1 {
			t.Errorf("the update does not refresh the heading of %s", col)
		}
	}
	if doc.Find(`#live-note[data-note*="Ana Lima moved DEMO-9 from To Do to In Progress"]`).Length() != 1 {
		t.Errorf("the update does not say who did what:\n%.300s", data)
	}
}

func TestBoardCreateTask(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	board := ben.get("/projects/DEMO/board")
	if board.Doc.Find(`#board-create input[name="title"]`).Length() != 1 {
		t.Fatal("the board has no one-line create form")
	}
	// Without JavaScript: a redirect back to the board, the card in To Do with focus.
	r := ben.submit(board, "#board-create", map[string]string{"title": "Written on the board"})
	expectStatus(t, r, http.StatusSeeOther)
	back := ben.follow(r)
	cards := columnCards(back, "c1")
	if len(cards) == 0 || cards[len(cards)-1] != "DEMO-64" {
		t.Fatalf("To Do is %v, want DEMO-64 at the bottom", cards)
	}
	expectText(t, back, "#announcer", "Created DEMO-64 in To Do.")
	if _, ok := back.Doc.Find(cardOf("DEMO-64") + ` a.move-button`).Attr("autofocus"); !ok {
		t.Errorf("the new card's Move button is not focused")
	}
	// With htmx: the new card comes back out of band after the last card of To Do,
	// with the column's heading and a fresh form; not the whole column.
	form := url.Values{"_csrf": {ben.token}, "title": {"Second one"}}
	res := ben.do(http.MethodPost, "/projects/DEMO/board/tasks", form, http.Header{"HX-Request": {"true"}})
	expectStatus(t, res, http.StatusOK)
	if res.Doc.Find(`div[hx-swap-oob="afterend:#task-`+a.task("DEMO-64").ID+`"] `+cardOf("DEMO-65")).Length() != 1 {
		t.Errorf("the htmx answer does not put DEMO-65 after DEMO-64: %.300s", res.Body)
	}
	if res.Doc.Find("section").Length() != 0 || res.Doc.Find("li.card").Length() != 1 {
		t.Errorf("the htmx answer carries more than the new card: %.300s", res.Body)
	}
	expectText(t, res, `h2#colh-c1[hx-swap-oob]`, "To Do", fmt.Sprint(len(cards)+1))
	if v := res.Doc.Find(`#board-create[hx-swap-oob] input[name="title"]`).AttrOr("value", "x"); v != "" {
		t.Errorf("the form is not emptied: %q", v)
	}
	// An empty title is refused where it was typed, and nothing is stored.
	before := a.eventCount()
	bad := ben.do(http.MethodPost, "/projects/DEMO/board/tasks", url.Values{"_csrf": {ben.token}, "title": {"  "}}, http.Header{"HX-Request": {"true"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectText(t, bad, "#board-create", "Title can't be empty.")
	if a.eventCount() != before {
		t.Errorf("an empty title appended events")
	}
	// Viewers have no create form and cannot post one.
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	if chloe.get("/projects/DEMO/board").Doc.Find("#board-create").Length() != 0 {
		t.Errorf("a viewer sees the create form")
	}
	expectStatus(t, chloe.post("/projects/DEMO/board/tasks", url.Values{"title": {"Nope"}}), http.StatusForbidden)
}
