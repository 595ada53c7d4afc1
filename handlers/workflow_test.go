package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// workflowForm builds the editor's submission: rows of id, name, wip, order.
func workflowForm(rows [][4]string, remove ...string) url.Values {
	v := url.Values{}
	for _, r := range rows {
		v.Add("id", r[0])
		v.Add("name", r[1])
		v.Add("wip", r[2])
		v.Add("order", r[3])
	}
	for _, id := range remove {
		v.Add("remove", id)
	}
	return v
}

func TestWorkflowEditor(t *testing.T) {
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	page := ana.get("/projects/DEMO/workflow")
	expectStatus(t, page, http.StatusOK)
	if n := page.Doc.Find(`input[name="name"]`).Length(); n != 6 {
		t.Errorf("editor has %d name inputs, want 4 columns + 2 blank", n)
	}

	// Rename To Do, add "Ready" after it, keep the rest.
	r := ana.post("/projects/DEMO/workflow", workflowForm([][4]string{
		{"c1", "Backlog", "0", "1"}, {"c2", "In Progress", "3", "3"}, {"c3", "In Review", "2", "4"}, {"c4", "Done", "0", "5"},
		{"", "Ready", "4", "2"}, {"", "", "0", "6"},
	}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	board := ana.get("/projects/DEMO/board")
	var names []string
	board.Doc.Find("section.board-column h2").Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.Fields(s.Text())[0])
	})
	if got := strings.Join(names, ","); got != "Backlog,Ready,In,In,Done" {
		t.Errorf("board columns after the change: %s", got)
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "Ana Lima changed the workflow")

	// A column holding tasks cannot go; the message says why and nothing changes.
	before := a.eventCount()
	r = ana.post("/projects/DEMO/workflow", workflowForm([][4]string{
		{"c1", "Backlog", "0", "1"}, {"c5", "Ready", "4", "2"}, {"c2", "In Progress", "3", "3"}, {"c3", "In Review", "2", "4"}, {"c4", "Done", "0", "5"},
	}, "c2"))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", `Column "In Progress" still holds`)
	if a.eventCount() != before {
		t.Errorf("a refused workflow change appended events")
	}
	r = ana.post("/projects/DEMO/workflow", workflowForm([][4]string{{"c1", "Backlog", "x", "1"}}))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", "whole numbers")

	// Members and viewers may read it but not change it.
	for _, who := range [][2]string{{benEmail, benPass}, {chloeEmail, chloePass}} {
		b := a.browser()
		b.signIn(who[0], who[1])
		expectText(t, b.get("/projects/DEMO/workflow"), "main", "Only project admins can change the workflow.")
		expectStatus(t, b.post("/projects/DEMO/workflow", workflowForm([][4]string{{"c1", "Mine", "0", "1"}})), http.StatusForbidden)
	}
	if a.eventCount() != before {
		t.Errorf("refused workflow changes appended events")
	}
}
