package handlers_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// e2eInvitationPagesAxe: axe-core finds no WCAG 2.2 AA violation on the members page
// with a pending invitation and a link just created, nor on the invitation's page as a
// visitor sees it.
func e2eInvitationPagesAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ana.do("open the members page", chromedp.Navigate(s.url+"/projects/DEMO/members"))
	ana.do("create an invitation", chromedp.Click(chromedp.CSS(`form[action="/projects/DEMO/invitations"] button[type=submit]`)))
	ana.waitUntil("link shown", e2eWait, `document.querySelector('[data-testid="invitation-url"]') !== null`)
	ana.axe(axeJS, "members page with an invitation link")
	link := e2eEval[string](ana, `document.querySelector('[data-testid="invitation-url"]').value`)

	ana.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	ana.waitUntil("signed out", e2eWait, `location.pathname === "/signin"`)
	ana.do("open the invitation", chromedp.Navigate(link))
	ana.waitUntil("invitation page", e2eWait, `document.querySelector('[data-testid="invite"] input[name="email"]') !== null`)
	ana.axe(axeJS, "invitation page")
}

// e2eWorkflowConflictAxe: axe finds no violations on the workflow editor (with its
// status-category selects); a stale workflow form renaming a column someone renamed
// meanwhile, and marking it Done, gets the conflict page, which axe finds no violations
// on, and which keeps the category chosen.
func e2eWorkflowConflictAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ana.do("open the workflow editor", chromedp.Navigate(s.url+"/projects/DEMO/workflow"))
	// Loaded with its stylesheet: axe on an unstyled page finds unstyled targets.
	ana.waitUntil("editor shown", e2eWait, `document.querySelector('.workflow-editor input[name="name"]') !== null && document.readyState === "complete"`)
	ana.axe(axeJS, "workflow editor")
	ana.screenshot("workflow-editor", "main")
	// Meanwhile (in another tab, say) In Review is renamed.
	ctx := context.Background()
	admin, err := s.st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.st.Project(ctx, s.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	renamed := append([]store.Column(nil), p.Columns...)
	renamed[2].Name = "Review"
	if err := s.st.ChangeWorkflow(ctx, admin.ID, p.ID, p.Version, renamed); err != nil {
		t.Fatalf("rename In Review: %v", err)
	}
	ana.exec(`(() => {
		const input = Array.from(document.querySelectorAll('.workflow-editor input[name="name"]')).find(i => i.value === "In Review");
		input.value = "QA";
		input.closest("tr").querySelector('select[name="category"]').value = "done";
	})()`)
	ana.do("save the stale form", chromedp.Click(chromedp.CSS(`.workflow-editor button[type=submit]`)))
	ana.waitUntil("conflict page", e2eWait, `document.querySelector('form.apply-mine') !== null && document.readyState === "complete"`)
	ana.waitUntil("the chosen category kept", e2eWait,
		`Array.from(document.querySelectorAll('.workflow-editor select[name="category"]')).map(s => s.value).join() === "todo,in_progress,done,done,in_progress,in_progress"`)
	ana.axe(axeJS, "workflow conflict page")
	ana.screenshot("workflow-conflict", "main")
}
