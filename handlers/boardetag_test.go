package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

// boardWith loads the board with If-None-Match set to etag (none when "").
func (b *browser) boardWith(path, etag string) *response {
	b.t.Helper()
	h := http.Header{}
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	return b.do(http.MethodGet, path, nil, h)
}

func expectFresh(t *testing.T, r *response, old string) string {
	t.Helper()
	expectStatus(t, r, http.StatusOK)
	etag := r.Header.Get("ETag")
	if etag == "" || etag == old {
		t.Fatalf("%s: ETag %q, want a new one (the last was %q)", r.Path, etag, old)
	}
	if r.Doc.Find("li.card").Length() == 0 {
		t.Fatalf("%s: 200 without the board", r.Path)
	}
	return etag
}

func expectNotModified(t *testing.T, r *response, etag string) {
	t.Helper()
	expectStatus(t, r, http.StatusNotModified)
	if r.Body != "" {
		t.Errorf("304 with a body of %d bytes", len(r.Body))
	}
	if got := r.Header.Get("ETag"); got != etag {
		t.Errorf("304 with ETag %q, want %q", got, etag)
	}
}

// TestBoardETag: the board page carries an ETag and answers 304 to a matching
// If-None-Match, until something the page shows to this user changes.
func TestBoardETag(t *testing.T) {
	a := newApp(t)
	ben, ana := a.browser(), a.browser()
	ben.signIn(benEmail, benPass)
	ana.signIn(anaEmail, anaPass)
	const board = "/projects/DEMO/board"

	first := ben.boardWith(board, "")
	etag := expectFresh(t, first, "")
	if cc := first.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") || !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control %q, want private, no-cache (the browser revalidates)", cc)
	}
	expectNotModified(t, ben.boardWith(board, etag), etag)
	expectNotModified(t, ben.boardWith(board, `"other", `+etag), etag)
	expectFresh(t, ben.boardWith(board, `W/"1-000000000000000000000000"`), "")

	// Someone else's move changes the page.
	tk := a.task("DEMO-9")
	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c2"}); err != nil {
		t.Fatal(err)
	}
	etag = expectFresh(t, ben.boardWith(board, etag), etag)
	expectNotModified(t, ben.boardWith(board, etag), etag)

	// Another user, another filter, another card to focus: other pages.
	if got := ana.boardWith(board, etag); got.Status != http.StatusOK || got.Header.Get("ETag") == etag {
		t.Errorf("Ana with Ben's ETag: %d, ETag %q: want 200 and her own ETag", got.Status, got.Header.Get("ETag"))
	}
	expectFresh(t, ben.boardWith(board+"?type=bug", etag), etag)
	expectFresh(t, ben.boardWith(board+"?moved="+tk.ID, etag), etag)

	// A member's new role (names and roles are on the page): the page changes.
	if err := a.st.ChangeMemberRole(a.ctx, a.ana.ID, a.demo.ID, a.chlo.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	etag = expectFresh(t, ben.boardWith(board, etag), etag)
	expectNotModified(t, ben.boardWith(board, etag), etag)
}

// TestBoardETagConflicts: the user's conflicts are the page's too: recording one and
// answering it change the ETag.
func TestBoardETagConflicts(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	const board = "/projects/DEMO/board"
	stale := ben.movePage(ben.get(board), "DEMO-10")
	tk := a.task("DEMO-10")
	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c4"}); err != nil {
		t.Fatal(err)
	}
	etag := expectFresh(t, ben.boardWith(board, ""), "")
	expectStatus(t, ben.submit(stale, "form.move-options", map[string]string{"to": "column:c2"}), http.StatusConflict)
	withConflict := ben.boardWith(board, etag)
	etag = expectFresh(t, withConflict, etag)
	if withConflict.Doc.Find("li.card.conflict").Length() != 1 {
		t.Fatalf("the board after the refused move shows no conflict")
	}
	expectNotModified(t, ben.boardWith(board, etag), etag)
	answer := ben.submit(withConflict, "li.card.conflict form", map[string]string{"choice": "theirs"})
	expectStatus(t, answer, http.StatusSeeOther)
	ben.follow(answer) // shows the answer's message once
	after := ben.boardWith(board, etag)
	expectFresh(t, after, etag)
	if after.Doc.Find("li.card.conflict").Length() != 0 {
		t.Errorf("the answered conflict is still shown")
	}
}

// TestBoardETagFlash: a page with a one-time message is never answered 304, and carries
// no ETag that a later request could match.
func TestBoardETagFlash(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	const board = "/projects/DEMO/board"
	page := ben.boardWith(board, "")
	etag := expectFresh(t, page, "")
	// A step that changes nothing: no event, but a message for the next page.
	top := cardKey(page.Doc.Find("#col-c2 li.card").First())
	r := ben.submit(ben.movePage(page, top), "form.move-options", map[string]string{"to": "top"})
	expectStatus(t, r, http.StatusSeeOther)
	flash := ben.boardWith(board, etag)
	expectStatus(t, flash, http.StatusOK)
	expectText(t, flash, "#board-notice", top+" is already in In Progress")
	if got := flash.Header.Get("ETag"); got != "" {
		t.Errorf("the page with a flash carries ETag %q", got)
	}
	// The message was shown once; the next page is the cached one again.
	expectNotModified(t, ben.boardWith(board, etag), etag)
}
