package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// moveHTMX moves a card from the board as htmx does, with the board's filter query.
func moveHTMX(b *browser, tk *store.Task, to, filter string) *response {
	b.t.Helper()
	return b.do(http.MethodPost, "/projects/DEMO/board/move", url.Values{"_csrf": {b.token}, "task": {tk.ID},
		"base_version": {fmt.Sprint(tk.Version)}, "from": {tk.ColumnID}, "to": {to}, "filter": {filter}},
		http.Header{"HX-Request": {"true"}})
}

// expectSameAsPage checks that an element of an htmx answer, out-of-band marker aside,
// is exactly what the board page shows for it.
func expectSameAsPage(t *testing.T, answer *response, answerSel string, page *response, pageSel string) {
	t.Helper()
	got := answer.Doc.Find(answerSel)
	want := page.Doc.Find(pageSel)
	if got.Length() != 1 || want.Length() != 1 {
		t.Errorf("%s: %d in the answer, %s: %d on the page; want one each:\n%.800s", answerSel, got.Length(), pageSel, want.Length(), answer.Body)
		return
	}
	got.RemoveAttr("hx-swap-oob")
	g, _ := goquery.OuterHtml(got)
	w, _ := goquery.OuterHtml(want)
	if g != w {
		t.Errorf("%s differs from the board page's\nanswer: %s\npage:   %s", answerSel, g, w)
	}
}

// TestBoardMoveAnswersWithTheCard: an htmx move answers with the moved card put after
// its neighbour (or first in its column) and the headings of the two columns, each
// exactly as the board page then shows it, and nothing of the other cards.
func TestBoardMoveAnswersWithTheCard(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectStatus(t, ben.get("/projects/DEMO/board"), http.StatusOK)
	for _, tc := range []struct {
		name, key, to string
		insert        func() string // where the card goes, from the board after the move
		headings      []string
		announce      string
	}{
		{"to another column, at its bottom", "DEMO-13", "column:c3", func() string { return "afterend:#task-" + a.task("DEMO-4").ID },
			[]string{"c1", "c3"}, "Moved DEMO-13 to In Review, position 3 of 3."},
		{"to the top of its column", "DEMO-13", "top", func() string { return "afterbegin:#cards-c3" },
			[]string{"c3"}, "Moved DEMO-13 to In Review, position 1 of 3."},
		{"one down", "DEMO-13", "down", func() string { return "afterend:#task-" + a.task("DEMO-3").ID },
			[]string{"c3"}, "Moved DEMO-13 to In Review, position 2 of 3."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := a.task(tc.key)
			res := moveHTMX(ben, tk, tc.to, "")
			expectStatus(t, res, http.StatusOK)
			expectText(t, res, "#announcer", tc.announce)
			if res.Doc.Find(`li#task-`+tk.ID+`[hx-swap-oob="delete"]`).Length() != 1 {
				t.Errorf("the answer does not remove the card from where it was")
			}
			insert := fmt.Sprintf(`div[hx-swap-oob=%q] > li#task-%s`, tc.insert(), tk.ID)
			if res.Doc.Find("li.card").Length() != 1 || res.Doc.Find("section").Length() != 0 {
				t.Errorf("the answer carries more than one card:\n%.800s", res.Body)
			}
			page := ben.get("/projects/DEMO/board")
			expectSameAsPage(t, res, insert, page, "li#task-"+tk.ID)
			if n := res.Doc.Find("h2[hx-swap-oob]").Length(); n != len(tc.headings) {
				t.Errorf("the answer carries %d headings, want %v", n, tc.headings)
			}
			for _, col := range tc.headings {
				expectSameAsPage(t, res, "h2#colh-"+col, page, "h2#colh-"+col)
			}
			if len(res.Body) > 8<<10 {
				t.Errorf("the answer is %d bytes, want at most 8 KB", len(res.Body))
			}
		})
	}
}

// TestBoardMoveAnswerKeepsTheFilter: on a filtered board the moved card goes after the
// card before it among those the filter shows, the headings count what the filter
// shows, and a card that no longer passes the filter (someone reassigned it meanwhile)
// is only removed.
func TestBoardMoveAnswerKeepsTheFilter(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	filter := url.Values{"assignee": {a.ben.ID}}.Encode()
	pageURL := "/projects/DEMO/board?" + filter
	expectStatus(t, ben.get(pageURL), http.StatusOK)

	// In Progress holds DEMO-5 (Ben's), DEMO-6 and DEMO-7 (not Ben's): DEMO-21 lands at
	// the bottom, which on Ben's filtered board is right after DEMO-5.
	tk := a.task("DEMO-21")
	res := moveHTMX(ben, tk, "column:c2", filter)
	expectStatus(t, res, http.StatusOK)
	page := ben.get(pageURL)
	expectSameAsPage(t, res, `div[hx-swap-oob="afterend:#task-`+a.task("DEMO-5").ID+`"] > li#task-`+tk.ID, page, "li#task-"+tk.ID)
	for _, col := range []string{"c1", "c2"} {
		expectSameAsPage(t, res, "h2#colh-"+col, page, "h2#colh-"+col)
	}
	expectText(t, res, "#announcer", "Moved DEMO-21 to In Progress, position 2 of 2.")

	// Ana takes DEMO-15; Ben, who has not seen that, moves it: the move merges, and
	// the card leaves Ben's filtered board.
	stale := a.task("DEMO-15")
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: stale.ID, BaseVersion: stale.Version, Assignee: store.Some(a.ana.ID)}); err != nil {
		t.Fatal(err)
	}
	res = moveHTMX(ben, stale, "column:c2", filter)
	expectStatus(t, res, http.StatusOK)
	if res.Doc.Find(`li#task-`+stale.ID+`[hx-swap-oob="delete"]`).Length() != 1 || res.Doc.Find("li.card").Length() != 0 {
		t.Errorf("a card the filter now hides is not only removed:\n%.800s", res.Body)
	}
	page = ben.get(pageURL)
	for _, col := range []string{"c1", "c2"} {
		expectSameAsPage(t, res, "h2#colh-"+col, page, "h2#colh-"+col)
	}
	expectText(t, res, "#announcer", "Moved DEMO-15 to In Progress.")
}
