package handlers_test

import (
	"net/http"
	"testing"

	"github.com/tack-pm/tack/store"
)

// TestTaskFormKeepsItsBaseVersionAfterAnError: a form shown again after invalid input
// keeps the version the user started from, so fixing the error and saving still merges
// with (and does not revert) a change someone made meanwhile.
func TestTaskFormKeepsItsBaseVersionAfterAnError(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	tk := a.task("DEMO-11")
	page := ben.get("/projects/DEMO/tasks/DEMO-11")

	// Ana raises the priority while Ben's form is open.
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Priority: store.Some(store.PriorityHighest)}); err != nil {
		t.Fatal(err)
	}
	bad := ben.submit(page, "form.task-form", map[string]string{"title": ""})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	if v := bad.Doc.Find(`form.task-form input[name="base_version"]`).AttrOr("value", ""); v != itoa(tk.Version) {
		t.Fatalf("the form shown again is based on version %s, want %d (where Ben started)", v, tk.Version)
	}
	ok := ben.submit(bad, "form.task-form", map[string]string{"title": "Fixed title"})
	expectStatus(t, ok, http.StatusSeeOther)
	after := a.task("DEMO-11")
	if after.Title != "Fixed title" || after.Priority != store.PriorityHighest {
		t.Errorf("after saving: title %q priority %s; want Ben's title and Ana's priority kept", after.Title, after.Priority)
	}
}
