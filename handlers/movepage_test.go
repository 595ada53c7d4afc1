package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// movePage follows a card's Move link on the board to its move page, as a browser
// without JavaScript does.
func (b *browser) movePage(board *response, key string) *response {
	b.t.Helper()
	link := board.Doc.Find(cardOf(key) + ` a.move-button`)
	if link.Length() != 1 {
		b.t.Fatalf("%s: want one Move link on %s, found %d", board.Path, key, link.Length())
	}
	r := b.get(link.AttrOr("href", ""))
	expectStatus(b.t, r, http.StatusOK)
	return r
}

func buttonValues(r *response) []string {
	var got []string
	r.Doc.Find(`form.move-options button[name="to"]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, s.AttrOr("value", ""))
	})
	return got
}

// TestMovePage: each card's Move control is one link to its move page, which offers
// the Move menu's plain forms: the other columns, and the steps that make sense from
// where the card is.
func TestMovePage(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	board := ben.get("/projects/DEMO/board")
	if n := board.Doc.Find("li.card form, li.card details").Length(); n != 0 {
		t.Errorf("the board's cards carry %d forms or menus, want none (one Move link each)", n)
	}
	if n := board.Doc.Find("#move-menu-template").Length(); n != 1 {
		t.Errorf("the board has %d Move menu templates, want one", n)
	}
	// In Progress (c2) holds DEMO-5, DEMO-6, DEMO-7 in this order.
	cases := []struct {
		key  string
		want []string
		text string
	}{
		{"DEMO-5", []string{"column:c1", "column:c3", "column:c4", "down", "bottom"}, "In In Progress, position 1 of 3."},
		{"DEMO-6", []string{"column:c1", "column:c3", "column:c4", "top", "up", "down", "bottom"}, "In In Progress, position 2 of 3."},
		{"DEMO-7", []string{"column:c1", "column:c3", "column:c4", "top", "up"}, "In In Progress, position 3 of 3."},
	}
	for _, c := range cases {
		r := ben.movePage(board, c.key)
		if got := buttonValues(r); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("move page of %s offers %v, want %v", c.key, got, c.want)
		}
		expectText(t, r, "h1", "Move "+c.key+":")
		expectText(t, r, ".move-page", c.text)
		form := r.Doc.Find("form.move-options")
		if form.AttrOr("action", "") != "/projects/DEMO/board/move" || form.AttrOr("method", "") != "post" {
			t.Errorf("move page of %s: form posts to %q with %q", c.key, form.AttrOr("action", ""), form.AttrOr("method", ""))
		}
		tk := a.task(c.key)
		for name, want := range map[string]string{"_csrf": ben.token, "task": tk.ID, "base_version": strconv.Itoa(tk.Version), "from": "c2"} {
			if got := form.Find(`input[name="`+name+`"]`).AttrOr("value", "?"); got != want || got == "" {
				t.Errorf("move page of %s: %s = %q, want %q", c.key, name, got, want)
			}
		}
	}
}

// TestMovePageKeepsTheFilter: from a filtered board, the move leads back to it.
func TestMovePageKeepsTheFilter(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	board := ben.get("/projects/DEMO/board?type=bug")
	key := cardKey(board.Doc.Find("li.card").First())
	page := ben.movePage(board, key)
	if f := page.Doc.Find(`form.move-options input[name="filter"]`).AttrOr("value", ""); f != "type=bug" {
		t.Errorf("the move page's form carries filter %q, want type=bug", f)
	}
	r := ben.submit(page, "form.move-options", map[string]string{"to": "column:c4"})
	expectStatus(t, r, http.StatusSeeOther)
	u, _ := url.Parse(r.Location)
	if u.Path != "/projects/DEMO/board" || u.Query().Get("type") != "bug" || u.Query().Get("moved") != a.task(key).ID {
		t.Errorf("after the move: redirect to %q, want the filtered board with the moved card", r.Location)
	}
	back := ben.follow(r)
	expectText(t, back, "#board-notice", "Moved "+key+" to Done")
}

// TestMovePageAccess: viewers may not move (403), non-members and unknown cards get 404,
// and a visitor who is not signed in is sent to sign in.
func TestMovePageAccess(t *testing.T) {
	a := newApp(t)
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	expectStatus(t, chloe.get("/projects/DEMO/board/move/DEMO-9"), http.StatusForbidden)

	eve := a.browser()
	eve.signUp("eve@example.com", "Eve", "eve-password")
	expectStatus(t, eve.get("/projects/DEMO/board/move/DEMO-9"), http.StatusNotFound)

	ben := a.browser()
	ben.signIn(benEmail, benPass)
	for _, key := range []string{"DEMO-999", "OTHER-1", "nonsense"} {
		expectStatus(t, ben.get("/projects/DEMO/board/move/"+key), http.StatusNotFound)
	}
	tk := a.task("DEMO-9")
	if _, err := a.st.UpdateTask(a.ctx, a.ben.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Archived: store.Some(true)}); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ben.get("/projects/DEMO/board/move/DEMO-9"), http.StatusUnprocessableEntity)

	anon := a.browser()
	r := anon.get("/projects/DEMO/board/move/DEMO-1")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/signin") {
		t.Errorf("signed out: %d to %q, want a redirect to sign in", r.Status, r.Location)
	}
}
