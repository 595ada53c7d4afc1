package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// TestMyWork: the page lists exactly the signed-in user's assigned, unarchived tasks,
// grouped by project and status.
func TestMyWork(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	want := map[string]string{} // key → status
	tasks, err := a.st.Tasks(a.ctx, a.demo.ID, store.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tasks {
		if tk.AssigneeID == a.ben.ID {
			want[tk.Key] = a.demo.ColumnName(tk.ColumnID)
		}
	}
	if len(want) == 0 {
		t.Fatal("the demo assigns nothing to Ben")
	}
	// One more, and one archived (which must not show).
	extra, archived := a.task("DEMO-21"), a.task("DEMO-20")
	for _, tk := range []*store.Task{extra, archived} {
		if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Assignee: store.Some(a.ben.ID)}); err != nil {
			t.Fatal(err)
		}
	}
	arch := a.task("DEMO-20")
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: arch.ID, BaseVersion: arch.Version, Archived: store.Some(true)}); err != nil {
		t.Fatal(err)
	}
	want["DEMO-21"] = a.demo.ColumnName(extra.ColumnID)

	r := ben.get("/my-work")
	expectStatus(t, r, http.StatusOK)
	got := map[string]string{}
	r.Doc.Find("#my-work li[data-key]").Each(func(_ int, li *goquery.Selection) {
		got[li.AttrOr("data-key", "")] = strings.TrimSpace(li.Parent().Prev().Contents().First().Text())
	})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("My work lists %v, want %v", got, want)
	}
	if n := r.Doc.Find(`.my-work-live[sse-connect="/projects/DEMO/board/stream"]`).Length(); n != 1 {
		t.Errorf("the page listens to DEMO's stream %d times, want once", n)
	}
	expectText(t, r, "nav", "My work")
}

// e2eMyWorkLive: Ben's My work page shows a task as soon as Ana assigns it to him, and
// drops it when she unassigns it, without a reload.
func e2eMyWorkLive(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.do("open My work", chromedp.Navigate(s.url+"/my-work"))
	ben.waitUntil("listening to DEMO", e2eWait, `document.querySelector('.my-work-live[data-connected="true"]') !== null`)
	ctx := context.Background()
	ana, err := s.st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	benUser, err := s.st.UserByEmail(ctx, e2eBen.Email)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.st.TaskByKey(ctx, s.demo, "DEMO-21")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.UpdateTask(ctx, ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Assignee: store.Some(benUser.ID)}); err != nil {
		t.Fatal(err)
	}
	ben.waitUntil("DEMO-21 appears", e2eWait, `document.querySelector('#my-work li[data-key="DEMO-21"]') !== null`)
	tk = s.task(tk.ID)
	if _, err := s.st.UpdateTask(ctx, ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Assignee: store.Some("")}); err != nil {
		t.Fatal(err)
	}
	ben.waitUntil("DEMO-21 leaves", e2eWait, `document.querySelector('#my-work li[data-key="DEMO-21"]') === null`)
	ben.axe(e2eAxeJS(t), "My work")
}
