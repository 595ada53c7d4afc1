package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()

	page := b.get("/signin")
	expectStatus(t, page, http.StatusOK)
	form := `form[action="/signin"]`
	for _, sel := range []string{form + ` input[name="email"]`, form + ` input[name="password"]`, form + ` input[name="_csrf"]`} {
		if page.Doc.Find(sel).Length() != 1 {
			t.Errorf("sign-in page has no %s", sel)
		}
	}

	wrong := b.submit(page, form, map[string]string{"email": anaEmail, "password": "not-her-password"})
	expectStatus(t, wrong, http.StatusUnauthorized)
	expectText(t, wrong, ".form-error", "Email or password is incorrect.")
	if got := wrong.Doc.Find(`input[name="email"]`).AttrOr("value", ""); got != anaEmail {
		t.Errorf("after a wrong password the email field holds %q, want %q", got, anaEmail)
	}
	if r := b.get("/projects"); r.Status != http.StatusSeeOther {
		t.Errorf("after a wrong password GET /projects = %d, want 303 to sign in", r.Status)
	}

	right := b.submit(wrong, form, map[string]string{"email": anaEmail, "password": anaPass})
	expectRedirect(t, right, "/projects")

	projects := b.follow(right)
	expectStatus(t, projects, http.StatusOK)
	expectText(t, projects, "ul.project-list", "DEMO", "Demo project")
	if projects.Doc.Find(`ul.project-list a[href="/projects/DEMO"]`).Length() != 1 {
		t.Errorf("projects page has no link to /projects/DEMO")
	}

	task := b.get("/projects/DEMO/tasks/DEMO-1")
	expectStatus(t, task, http.StatusOK)
	if got, want := task.Text("h1"), "Set up the project's CI pipeline"; got != want {
		t.Errorf("task page h1 = %q, want %q", got, want)
	}
	expectText(t, task, "ol.history li", "Ana Lima", "moved DEMO-1 from")
}

func TestSignInNext(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for _, tc := range []struct {
		name, next, want string
	}{
		{"project page", "/projects/DEMO/activity", "/projects/DEMO/activity"},
		{"page with query", "/projects/DEMO/activity?before=5", "/projects/DEMO/activity?before=5"},
		{"protocol-relative", "//evil.example", "/projects"},
		{"absolute URL", "https://evil.example/", "/projects"},
		{"backslash", "/\\evil.example", "/projects"},
		// Browsers drop tabs and newlines from URLs, so "/\t/x" is followed as "//x".
		{"tab", "/\t/evil.example", "/projects"},
		{"empty", "", "/projects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := a.browser()
			page := b.get("/signin?next=" + url.QueryEscape(tc.next))
			expectStatus(t, page, http.StatusOK)
			if got := page.Doc.Find(`form[action="/signin"] input[name="next"]`).AttrOr("value", "?"); got != tc.next {
				t.Errorf("hidden next = %q, want %q", got, tc.next)
			}
			r := b.submit(page, `form[action="/signin"]`, map[string]string{"email": benEmail, "password": benPass})
			expectRedirect(t, r, tc.want)

			// Signed in already, the sign-in page sends people on with the same rule.
			again := b.get("/signin?next=" + url.QueryEscape(tc.next))
			expectRedirect(t, again, tc.want)
		})
	}
}

// projectPages are the GET pages of project DEMO.
var projectPages = []string{
	"/projects/DEMO",
	"/projects/DEMO/tasks/DEMO-1",
	"/projects/DEMO/activity",
	"/projects/DEMO/members",
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	for _, path := range append([]string{"/projects", "/projects/DEMO/board"}, projectPages...) {
		r := b.get(path)
		expectRedirect(t, r, "/signin?next="+url.QueryEscape(path))
	}
	expectStatus(t, b.get("/"), http.StatusOK) // the landing page (TestLandingPage)

	before := a.eventCount()
	expectStatus(t, b.get("/signin"), http.StatusOK) // for a CSRF token
	if b.token == "" {
		t.Fatal("sign-in page carries no CSRF token")
	}
	r := b.post("/projects/DEMO/tasks", url.Values{"title": {"Anonymous task"}})
	expectStatus(t, r, http.StatusUnauthorized)
	expectText(t, r, ".error-message", "Sign in")
	if after := a.eventCount(); after != before {
		t.Errorf("anonymous POST changed the log: %d events, was %d", after, before)
	}
}

func TestNonMemberSeesNotFound(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signUp("dana@example.com", "Dana Outsider", "dana-password")

	list := b.get("/projects")
	expectStatus(t, list, http.StatusOK)
	if n := list.Doc.Find(`a[href^="/projects/DEMO"]`).Length(); n != 0 {
		t.Errorf("a non-member's project list links to DEMO %d time(s)", n)
	}
	expectText(t, list, "p.empty", "not in any project")

	before := a.eventCount()
	var routes []struct{ method, path string }
	for _, key := range []string{"DEMO", "NOPE"} {
		p := "/projects/" + key
		for _, path := range []string{p, p + "/tasks/" + key + "-1", p + "/activity", p + "/members", p + "/board"} {
			routes = append(routes, struct{ method, path string }{http.MethodGet, path})
		}
		for _, path := range []string{p + "/tasks", p + "/tasks/" + key + "-1", p + "/tasks/" + key + "-1/move",
			p + "/members", p + "/members/" + a.ben.ID, p + "/members/" + a.ben.ID + "/remove", p + "/board/move"} {
			routes = append(routes, struct{ method, path string }{http.MethodPost, path})
		}
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			var r *response
			if rt.method == http.MethodGet {
				r = b.get(rt.path)
			} else {
				r = b.post(rt.path, url.Values{"title": {"Intruder"}, "base_version": {"1"}, "column": {"c2"},
					"email": {"dana@example.com"}, "role": {"admin"}})
			}
			expectStatus(t, r, http.StatusNotFound)
			for _, secret := range []string{"Demo project", "Set up the project's CI pipeline"} {
				if strings.Contains(r.Body, secret) {
					t.Errorf("404 page reveals %q", secret)
				}
			}
		})
	}
	if after := a.eventCount(); after != before {
		t.Errorf("a non-member changed the log: %d events, was %d", after, before)
	}
}

func TestViewerCannotChangeAnything(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(chloeEmail, chloePass)

	for _, path := range projectPages {
		r := b.get(path)
		expectStatus(t, r, http.StatusOK)
		if n := r.Doc.Find(`main form[method="post"]`).Length(); n != 0 {
			t.Errorf("GET %s shows a viewer %d form(s) that change state", path, n)
		}
	}

	task := a.task("DEMO-1")
	version := itoa(task.Version)
	before := a.eventCount()
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"create task", "/projects/DEMO/tasks", url.Values{"title": {"Viewer task"}}},
		{"update task", "/projects/DEMO/tasks/DEMO-1", url.Values{"title": {"Viewer title"}, "base_version": {version}}},
		{"move task", "/projects/DEMO/tasks/DEMO-1/move", url.Values{"column": {"c1"}, "base_version": {version}}},
		{"archive task", "/projects/DEMO/tasks/DEMO-1", url.Values{"archived": {"true"}, "base_version": {version}}},
		{"add member", "/projects/DEMO/members", url.Values{"email": {benEmail}, "role": {"viewer"}}},
		{"change role", "/projects/DEMO/members/" + a.chlo.ID, url.Values{"role": {"admin"}}},
		{"remove member", "/projects/DEMO/members/" + a.ben.ID + "/remove", nil},
		{"move on the board", "/projects/DEMO/board/move", url.Values{"task": {task.ID}, "to": {"column:c1"}, "base_version": {version}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post(tc.path, tc.form)
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "viewer")
		})
	}
	if after := a.eventCount(); after != before {
		t.Errorf("a viewer changed the log: %d events, was %d", after, before)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	home := b.get("/projects/DEMO")
	expectStatus(t, home, http.StatusOK)
	if b.token == "" {
		t.Fatal("project page carries no CSRF token")
	}
	countTasks := func() int {
		tasks, err := a.st.Tasks(a.ctx, a.demo.ID, store.TaskFilter{IncludeArchived: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(tasks)
	}
	before := countTasks()

	for _, tc := range []struct {
		name   string
		form   url.Values
		header http.Header
		want   int
	}{
		{"no token", url.Values{"title": {"Forged"}}, nil, http.StatusForbidden},
		{"wrong token", url.Values{"title": {"Forged"}, "_csrf": {"not-the-token"}}, nil, http.StatusForbidden},
		{"empty token", url.Values{"title": {"Forged"}, "_csrf": {""}}, nil, http.StatusForbidden},
		{"cross-site fetch metadata, no token", url.Values{"title": {"Forged"}},
			http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"cross-site fetch metadata, right token", url.Values{"title": {"Forged"}, "_csrf": {b.token}},
			http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"same-site fetch metadata, no token", url.Values{"title": {"Forged"}},
			http.Header{"Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do(http.MethodPost, "/projects/DEMO/tasks", tc.form, tc.header)
			expectStatus(t, r, tc.want)
		})
	}
	if n := countTasks(); n != before {
		t.Fatalf("refused requests created tasks: %d tasks, was %d", n, before)
	}

	t.Run("right token", func(t *testing.T) {
		r := b.submit(home, `form.quick-create`, map[string]string{"title": "Real task from Ben"})
		expectRedirect(t, r, "/projects/DEMO")
		expectText(t, b.follow(r), ".flash", "Created DEMO-64.")
		if got := a.task("DEMO-64"); got.Title != "Real task from Ben" || got.CreatedBy != a.ben.ID {
			t.Errorf("DEMO-64 = %q by %s, want %q by Ben", got.Title, got.CreatedBy, "Real task from Ben")
		}
	})

	// Echo 4.16 trusts fetch metadata: a browser's same-origin request needs no token
	// (OWASP's fetch-metadata defence). This documents that behaviour.
	t.Run("same-origin fetch metadata, no token", func(t *testing.T) {
		r := b.do(http.MethodPost, "/projects/DEMO/tasks", url.Values{"title": {"Same-origin task"}},
			http.Header{"Sec-Fetch-Site": {"same-origin"}})
		expectRedirect(t, r, "/projects/DEMO")
		if got := a.task("DEMO-65").Title; got != "Same-origin task" {
			t.Errorf("DEMO-65 title = %q", got)
		}
	})

	t.Run("sign-in without token", func(t *testing.T) {
		anon := a.browser()
		expectStatus(t, anon.get("/signin"), http.StatusOK)
		r := anon.do(http.MethodPost, "/signin", url.Values{"email": {anaEmail}, "password": {anaPass}}, nil)
		expectStatus(t, r, http.StatusForbidden)
		if r := anon.get("/projects"); r.Status != http.StatusSeeOther {
			t.Errorf("a refused sign-in still signed in: GET /projects = %d", r.Status)
		}
	})
}

func TestTaskEditing(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	editForm := `form.task-form`
	moveForm := `form[action$="/move"]`

	// anaRetitles changes a task's title as Ana, from its current version.
	anaRetitles := func(key, title string) {
		t.Helper()
		tk := a.task(key)
		if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Title: store.Some(title)}); err != nil {
			t.Fatalf("ana retitles %s: %v", key, err)
		}
	}

	t.Run("update", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-9")
		expectStatus(t, page, http.StatusOK)
		if got, want := page.Doc.Find(editForm+` input[name="base_version"]`).AttrOr("value", ""), itoa(a.task("DEMO-9").Version); got != want {
			t.Fatalf("edit form base_version = %q, want %q", got, want)
		}
		r := b.submit(page, editForm, map[string]string{"title": "Burndown chart per sprint"})
		expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-9")
		next := b.follow(r)
		expectText(t, next, ".flash", "Saved DEMO-9.")
		if got := next.Text("h1"); got != "Burndown chart per sprint" {
			t.Errorf("h1 after save = %q", got)
		}
		if got := a.task("DEMO-9"); got.Title != "Burndown chart per sprint" || got.UpdatedBy != a.ben.ID {
			t.Errorf("stored title %q by %s", got.Title, got.UpdatedBy)
		}
	})

	t.Run("conflict and reconfirm", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-10")
		expectStatus(t, page, http.StatusOK)
		anaRetitles("DEMO-10", "Velocity report per team")
		current := a.task("DEMO-10")
		before := a.eventCount()

		r := b.submit(page, editForm, map[string]string{"title": "Velocity report by Ben"})
		expectStatus(t, r, http.StatusConflict)
		expectText(t, r, ".conflict", "Ana Lima", "Velocity report per team", "Velocity report by Ben")
		if got := a.task("DEMO-10"); got.Title != "Velocity report per team" || got.Version != current.Version {
			t.Fatalf("a conflict changed the task: %q v%d", got.Title, got.Version)
		}
		if after := a.eventCount(); after != before+1 {
			t.Errorf("a conflict should record one event, log grew by %d", after-before)
		}
		// The whole task page, with the conflict on top and what Ben typed kept.
		expectText(t, r, "h1", "Velocity report per team")
		expectText(t, r, "ol.history", "Ana Lima changed the title of DEMO-10")
		if got := r.Doc.Find(editForm+` input[name="title"]`).AttrOr("value", ""); got != "Velocity report by Ben" {
			t.Errorf("the form lost what Ben typed: title %q", got)
		}
		reconfirm := `.conflict form[method="post"]`
		if got := r.Text(reconfirm + ` button[value="mine"]`); got != "Apply my change anyway" {
			t.Errorf("reconfirm button = %q", got)
		}
		if got := r.Text(reconfirm + ` button[value="theirs"]`); got != "Keep their version" {
			t.Errorf("keep button = %q", got)
		}
		if got := r.Doc.Find(reconfirm+` input[name="base_version"]`).AttrOr("value", ""); got != itoa(current.Version) {
			t.Errorf("reconfirm base_version = %q, want current version %d", got, current.Version)
		}
		// A reload shows the conflict again.
		expectText(t, b.get("/projects/DEMO/tasks/DEMO-10"), ".conflict", "Ana Lima", "Velocity report by Ben")

		done := b.submit(r, reconfirm, map[string]string{"choice": "mine"})
		expectRedirect(t, done, "/projects/DEMO/tasks/DEMO-10")
		if got := a.task("DEMO-10").Title; got != "Velocity report by Ben" {
			t.Errorf("after reconfirming the title is %q", got)
		}
		next := b.follow(done)
		expectStatus(t, next, http.StatusOK)
		conflicts := next.Doc.Find("li.history-item.conflict")
		if conflicts.Length() != 1 {
			t.Fatalf("task history shows %d conflict items, want 1", conflicts.Length())
		}
		if text := strings.Join(strings.Fields(conflicts.Text()), " "); !strings.Contains(text, "Ben Okafor") || !strings.Contains(text, "Ana Lima") {
			t.Errorf("conflict item does not name both people: %q", text)
		}
	})

	t.Run("stale version, other field merges", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-11")
		expectStatus(t, page, http.StatusOK)
		anaRetitles("DEMO-11", "Printable sprint report (A4)")

		r := b.submit(page, editForm, map[string]string{"priority": "highest"})
		expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-11")
		expectText(t, b.follow(r), ".flash", "were kept", "title")
		got := a.task("DEMO-11")
		if got.Title != "Printable sprint report (A4)" || got.Priority != store.PriorityHighest {
			t.Errorf("after merge: title %q priority %q; want Ana's title and Ben's priority", got.Title, got.Priority)
		}
	})

	t.Run("move", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-12")
		expectStatus(t, page, http.StatusOK)
		r := b.submit(page, moveForm, map[string]string{"column": "c2"})
		expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-12")
		expectText(t, b.follow(r), ".flash", "Moved DEMO-12 to In Progress.")
		if got := a.task("DEMO-12").ColumnID; got != "c2" {
			t.Errorf("DEMO-12 is in %s, want c2", got)
		}
	})

	t.Run("conflicting move", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-13")
		expectStatus(t, page, http.StatusOK)
		tk := a.task("DEMO-13")
		if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c4"}); err != nil {
			t.Fatal(err)
		}
		r := b.submit(page, moveForm, map[string]string{"column": "c3"})
		expectStatus(t, r, http.StatusConflict)
		expectText(t, r, ".conflict", "Ana Lima", "Move it to In Review anyway", "Keep it in Done")
		if got := a.task("DEMO-13").ColumnID; got != "c4" {
			t.Errorf("after a refused move DEMO-13 is in %s, want c4", got)
		}
	})

	t.Run("invalid input", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-14")
		expectStatus(t, page, http.StatusOK)
		original := a.task("DEMO-14")
		before := a.eventCount()

		r := b.submit(page, editForm, map[string]string{"title": "   ", "description": "Typed but not saved", "points": "5"})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, "#err-title", "Title can't be empty.")
		if got := r.Doc.Find(`#title`).AttrOr("aria-invalid", ""); got != "true" {
			t.Errorf("title input aria-invalid = %q", got)
		}
		if got := r.Doc.Find(`textarea#description`).Text(); got != "Typed but not saved" {
			t.Errorf("typed description not kept: %q", got)
		}
		if got := r.Doc.Find(`input#points`).AttrOr("value", ""); got != "5" {
			t.Errorf("typed points not kept: %q", got)
		}

		r = b.submit(page, editForm, map[string]string{"points": "abc", "description": "Also typed"})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, "#err-points", "must be a number")
		if got := r.Doc.Find(`input#points`).AttrOr("value", ""); got != "abc" {
			t.Errorf("typed points not kept: %q", got)
		}
		if got := r.Doc.Find(`textarea#description`).Text(); got != "Also typed" {
			t.Errorf("typed description not kept: %q", got)
		}

		r = b.submit(page, moveForm, map[string]string{"column": "zz"})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, ".error-message", "column")

		version := itoa(original.Version)
		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"title": {"No version"}}},
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"title": {"Bad version"}, "base_version": {"x"}}},
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"title": {"Future version"}, "base_version": {"999"}}},
			{"/projects/DEMO/tasks/DEMO-14/move", url.Values{"column": {"c2"}}},
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"type": {"saga"}, "base_version": {version}}},
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"due": {"31/12/2026"}, "base_version": {version}}},
			{"/projects/DEMO/tasks/DEMO-14", url.Values{"assignee": {"not-a-member"}, "base_version": {version}}},
		} {
			r := b.post(tc.path, tc.form)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("POST %s %v: status %d, want 422", tc.path, tc.form, r.Status)
			}
		}
		if after := a.eventCount(); after != before {
			t.Errorf("invalid input changed the log: %d events, was %d", after, before)
		}
		if got := a.task("DEMO-14"); got.Version != original.Version {
			t.Errorf("invalid input changed DEMO-14 to version %d", got.Version)
		}
	})

	t.Run("unknown task", func(t *testing.T) {
		for _, path := range []string{"/projects/DEMO/tasks/DEMO-999", "/projects/DEMO/tasks/OTHER-1", "/projects/DEMO/tasks/DEMO-x"} {
			expectStatus(t, b.get(path), http.StatusNotFound)
		}
	})

	t.Run("archive and restore", func(t *testing.T) {
		page := b.get("/projects/DEMO/tasks/DEMO-15")
		r := b.submit(page, `form:has(input[name="archived"][value="true"])`, nil)
		expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-15")
		archived := b.follow(r)
		if !a.task("DEMO-15").Archived {
			t.Fatal("DEMO-15 not archived")
		}
		if archived.Doc.Find(editForm).Length() != 0 {
			t.Errorf("an archived task still shows the edit form")
		}
		r = b.submit(archived, `form:has(input[name="archived"][value="false"])`, nil)
		expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-15")
		if a.task("DEMO-15").Archived {
			t.Fatal("DEMO-15 not restored")
		}
	})
}

func TestMembers(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.browser()
	admin.signIn(anaEmail, anaPass)
	addForm := `form[action="/projects/DEMO/members"]`

	page := admin.get("/projects/DEMO/members")
	expectStatus(t, page, http.StatusOK)
	expectText(t, page, "table.members", "Ana Lima", "Ben Okafor", "Chloé Martin")

	r := admin.submit(page, addForm, map[string]string{"email": benEmail, "role": "member"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "#err-email", "already a member")

	r = admin.submit(page, addForm, map[string]string{"email": "nobody@example.com", "role": "member"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "#err-email", "No account uses nobody@example.com")
	if got := r.Doc.Find(`#member-email`).AttrOr("value", ""); got != "nobody@example.com" {
		t.Errorf("typed email not kept: %q", got)
	}

	newcomer := a.browser()
	newcomer.signUp("eve@example.com", "Eve Newcomer", "eve-password")
	eve := a.user("eve@example.com")

	r = admin.submit(page, addForm, map[string]string{"email": "eve@example.com", "role": "viewer"})
	expectRedirect(t, r, "/projects/DEMO/members")
	listed := admin.follow(r)
	expectText(t, listed, ".flash", "Added eve@example.com as viewer.")
	expectText(t, listed, "table.members", "Eve Newcomer", "eve@example.com")
	if got := listed.Doc.Find(`select#role-`+eve.ID+` option[selected]`).AttrOr("value", ""); got != "viewer" {
		t.Errorf("Eve's role on the members page = %q, want viewer", got)
	}
	if r := newcomer.get("/projects/DEMO"); r.Status != http.StatusOK {
		t.Errorf("Eve, now a viewer, gets %d for /projects/DEMO", r.Status)
	}

	t.Run("member cannot manage members", func(t *testing.T) {
		ben := a.browser()
		ben.signIn(benEmail, benPass)
		members := ben.get("/projects/DEMO/members")
		expectStatus(t, members, http.StatusOK)
		if members.Doc.Find(addForm).Length() != 0 {
			t.Errorf("a member is shown the add-member form")
		}
		before := a.eventCount()
		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/projects/DEMO/members", url.Values{"email": {"eve@example.com"}, "role": {"admin"}}},
			{"/projects/DEMO/members/" + eve.ID, url.Values{"role": {"admin"}}},
			{"/projects/DEMO/members/" + eve.ID + "/remove", nil},
		} {
			r := ben.post(tc.path, tc.form)
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "manage members")
		}
		if after := a.eventCount(); after != before {
			t.Errorf("a member changed the log: %d events, was %d", after, before)
		}
	})

	t.Run("change role and remove", func(t *testing.T) {
		members := admin.get("/projects/DEMO/members")
		r := admin.submit(members, `form[action="/projects/DEMO/members/`+eve.ID+`"]`, map[string]string{"role": "member"})
		expectRedirect(t, r, "/projects/DEMO/members")
		members = admin.follow(r)
		if got := members.Doc.Find(`select#role-`+eve.ID+` option[selected]`).AttrOr("value", ""); got != "member" {
			t.Errorf("Eve's role after change = %q, want member", got)
		}
		r = admin.submit(members, `form[action="/projects/DEMO/members/`+eve.ID+`/remove"]`, nil)
		expectRedirect(t, r, "/projects/DEMO/members")
		if strings.Contains(admin.follow(r).Text("table.members"), "Eve Newcomer") {
			t.Errorf("Eve still listed after removal")
		}
		if r := newcomer.get("/projects/DEMO"); r.Status != http.StatusNotFound {
			t.Errorf("removed Eve gets %d for /projects/DEMO, want 404", r.Status)
		}
	})

	t.Run("last admin stays", func(t *testing.T) {
		r := admin.post("/projects/DEMO/members/"+a.ana.ID, url.Values{"role": {"viewer"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, ".error-message", "at least one admin")
	})
}

func TestHealthAndStatic(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()

	r := b.get("/healthz")
	expectStatus(t, r, http.StatusOK)
	if strings.TrimSpace(r.Body) != "ok" {
		t.Errorf("/healthz body = %q, want ok", r.Body)
	}

	r = b.get("/static/css/tack.css")
	expectStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("tack.css Content-Type = %q, want text/css", ct)
	}
	if len(r.Body) == 0 {
		t.Errorf("tack.css is empty")
	}
	// A miss under /static is outside the session middleware and must still get a
	// clean error page.
	r = b.get("/static/css/missing.css")
	expectStatus(t, r, http.StatusNotFound)
	expectText(t, r, ".error-message", "There is no page at this address.")

	expectRedirect(t, b.get("/no-such-page"), "/signin?next=%2Fno-such-page")
	b.signIn(benEmail, benPass)
	r = b.get("/no-such-page")
	expectStatus(t, r, http.StatusNotFound)
	expectText(t, r, ".error-message", "There is no page at this address.")

	r = b.get("/signin")
	for header, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
