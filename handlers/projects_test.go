package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

func TestCreateProjectFromForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	page := b.get("/projects")
	expectStatus(t, page, http.StatusOK)
	form := `form[action="/projects"]`

	// The name comes first; the key may be left blank, and the page's script fills it.
	var order []string
	page.Doc.Find(form + " input:not([type=hidden])").Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("name", "")) })
	if len(order) < 2 || order[0] != "name" || order[1] != "key" {
		t.Errorf("new-project fields = %v, want name then key first", order)
	}
	if _, required := page.Doc.Find(form + ` input[name="key"]`).Attr("required"); required {
		t.Error("the key field is required; a blank key is suggested from the name")
	}
	if page.Doc.Find(`script[src="/static/js/project-key.js"]`).Length() != 1 {
		t.Error("the projects page does not load the key suggestion script")
	}

	create := func(set map[string]string) *response {
		t.Helper()
		return b.submit(b.get("/projects"), form, set)
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantKey string // "" when refused
		field   string // the field whose message shows, when refused
		message string
	}{
		{"blank key, from the name", map[string]string{"name": "Mobile App"}, "MA", "", ""},
		{"blank key, taken: a digit added", map[string]string{"name": "Marketing Analytics"}, "MA2", "", ""},
		{"the script's suggestion, taken: a digit added", map[string]string{"name": "Mobile App", "key": "MA", "key_suggested": "MA"}, "MA3", "", ""},
		{"one-word name", map[string]string{"name": "Operations"}, "OPE", "", ""},
		{"typed key, lower case", map[string]string{"name": "Website", "key": "web"}, "WEB", "", ""},
		{"typed key, taken", map[string]string{"name": "Mobile", "key": "MA"}, "", "key", "Project key MA is already taken."},
		{"typed key, suggestion edited and taken", map[string]string{"name": "Mobile", "key": "MA", "key_suggested": "MOB"}, "", "key", "Project key MA is already taken."},
		{"typed key, invalid", map[string]string{"name": "Mobile", "key": "1M"}, "", "key", "Key must be 2 to 10 letters or digits"},
		{"typed key, too long", map[string]string{"name": "Mobile", "key": "ABCDEFGHIJK"}, "", "key", "Key must be 2 to 10 letters or digits"},
		{"blank key, no letters in the name", map[string]string{"name": "日本語"}, "", "key", "Type a key"},
		{"blank name", map[string]string{"name": " ", "key": "NEW"}, "", "name", "Enter a project name."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.eventCount()
			r := create(tt.set)
			if tt.wantKey == "" {
				expectStatus(t, r, http.StatusUnprocessableEntity)
				expectText(t, r, "#err-"+tt.field, tt.message)
				if got := r.Doc.Find(form+` input[name="`+tt.field+`"]`).AttrOr("aria-invalid", ""); got != "true" {
					t.Errorf("the %s field is not marked invalid", tt.field)
				}
				for _, f := range []string{"name", "key", "key_suggested"} {
					if got := r.Doc.Find(form+` input[name="`+f+`"]`).AttrOr("value", ""); got != tt.set[f] {
						t.Errorf("after the error %s = %q, want what was typed, %q", f, got, tt.set[f])
					}
				}
				if after := a.eventCount(); after != before {
					t.Errorf("a refused project changed the log: %d events, was %d", after, before)
				}
				return
			}
			// A new project opens on its board.
			expectRedirect(t, r, "/projects/"+tt.wantKey+"/board")
			board := b.follow(r)
			expectStatus(t, board, http.StatusOK)
			expectText(t, board, ".flash", "Project "+tt.wantKey+" created.")
			if board.Doc.Find("#board section.board-column").Length() != 4 {
				t.Errorf("the new project's board has %d columns, want 4", board.Doc.Find("#board section.board-column").Length())
			}
			p, role, err := a.st.ProjectFor(a.ctx, a.ben.ID, tt.wantKey)
			if err != nil || role != store.RoleAdmin || p.Name != strings.TrimSpace(tt.set["name"]) {
				t.Errorf("project %s = %+v, %s, %v; want %q with Ben as admin", tt.wantKey, p, role, err, tt.set["name"])
			}
		})
	}
}

// listRows returns the keys of the List table's rows, in order.
func listRows(r *response) []string {
	var keys []string
	r.Doc.Find("table.task-table tbody tr td.col-key").Each(func(_ int, s *goquery.Selection) {
		keys = append(keys, strings.TrimSpace(s.Text()))
	})
	return keys
}

func TestListTable(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	tasks, err := a.st.Tasks(a.ctx, a.demo.ID, store.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*store.Task{}
	var boardOrder []string
	for _, tk := range tasks {
		byKey[tk.Key] = tk
		boardOrder = append(boardOrder, tk.Key)
	}
	names := map[string]string{}
	for _, u := range []*store.User{a.ana, a.ben, a.chlo} {
		names[u.ID] = u.Name
	}
	column := map[string]int{}
	for i, c := range a.demo.Columns {
		column[c.ID] = i
	}
	// value gives a task's value in a column and whether it has one; sortedOK checks
	// that two neighbouring rows are in order, values-less rows last.
	type value struct {
		n   float64
		s   string
		set bool
	}
	valueOf := map[string]func(*store.Task) value{
		"key":    func(t *store.Task) value { return value{n: float64(t.Number), set: true} },
		"title":  func(t *store.Task) value { return value{s: strings.ToLower(t.Title), set: true} },
		"status": func(t *store.Task) value { return value{n: float64(column[t.ColumnID]), set: true} },
		"assignee": func(t *store.Task) value {
			return value{s: strings.ToLower(names[t.AssigneeID]), set: t.AssigneeID != ""}
		},
		// store.Priorities lists the most urgent first; ascending is least urgent first.
		"priority": func(t *store.Task) value {
			return value{n: -float64(slices.Index(store.Priorities, t.Priority)), set: true}
		},
		"points": func(t *store.Task) value {
			if t.Points == nil {
				return value{}
			}
			return value{n: *t.Points, set: true}
		},
		"updated": func(t *store.Task) value { return value{n: float64(t.UpdatedAt.UnixNano()), set: true} },
	}
	less := func(x, y value) bool {
		if x.s != y.s {
			return x.s < y.s
		}
		return x.n < y.n
	}
	checkOrder := func(t *testing.T, by string, desc bool, keys []string) {
		t.Helper()
		f := valueOf[by]
		for i := 1; i < len(keys); i++ {
			x, y := f(byKey[keys[i-1]]), f(byKey[keys[i]])
			switch {
			case !x.set && y.set:
				t.Errorf("sort=%s desc=%v: %s without a value before %s with one", by, desc, keys[i-1], keys[i])
			case !x.set || !y.set:
			case !desc && less(y, x), desc && less(x, y):
				t.Errorf("sort=%s desc=%v: %s (%v) before %s (%v)", by, desc, keys[i-1], x, keys[i], y)
			}
		}
	}

	t.Run("default order is the board's", func(t *testing.T) {
		page := b.get("/projects/DEMO")
		expectStatus(t, page, http.StatusOK)
		if got := listRows(page); !slices.Equal(got, boardOrder) {
			t.Errorf("rows = %v, want the board's order %v", got, boardOrder)
		}
		sorted := page.Doc.Find("table.task-table th[aria-sort]")
		if sorted.Length() != 1 || !sorted.HasClass("col-status") || sorted.AttrOr("aria-sort", "") != "ascending" {
			t.Errorf("sorted header: %d, class %q, aria-sort %q; want Status ascending", sorted.Length(), sorted.AttrOr("class", ""), sorted.AttrOr("aria-sort", ""))
		}
		var heads []string
		page.Doc.Find("table.task-table thead th").Each(func(_ int, s *goquery.Selection) {
			heads = append(heads, strings.TrimSpace(s.Find("a").Contents().First().Text()))
		})
		if want := []string{"Key", "Title", "Status", "Assignee", "Priority", "Points", "Updated"}; !slices.Equal(heads, want) {
			t.Errorf("headers = %q, want %q", heads, want)
		}
		// A first click sorts the most urgent, the newest and otherwise A to Z first.
		for col, dir := range map[string]string{"title": "asc", "priority": "desc", "updated": "desc", "points": "asc"} {
			want := "/projects/DEMO?dir=" + dir + "&sort=" + col
			if got := page.Doc.Find("table.task-table th.col-"+col+" a").AttrOr("href", ""); got != want {
				t.Errorf("%s header links to %q, want %q", col, got, want)
			}
		}
		// A table, not a second board.
		if n := page.Doc.Find("#board, .board, .columns, .card").Length(); n != 0 {
			t.Errorf("the List has %d board elements", n)
		}
		// A row says what the board's card says, in columns.
		row := page.Doc.Find("table.task-table tbody tr").First()
		first := byKey[boardOrder[0]]
		if got := row.Find("td.col-title a").AttrOr("href", ""); got != "/projects/DEMO/tasks/"+first.Key {
			t.Errorf("first row links to %q", got)
		}
		if got := strings.TrimSpace(row.Find("td.col-status").Text()); got != a.demo.ColumnName(first.ColumnID) {
			t.Errorf("first row status = %q, want %q", got, a.demo.ColumnName(first.ColumnID))
		}
		if got := strings.TrimSpace(row.Find("td.col-updated time").AttrOr("datetime", "")); got == "" {
			t.Error("first row has no updated time")
		}
	})

	for _, col := range views.ListColumns {
		for _, dir := range []string{"asc", "desc"} {
			t.Run("sort "+col.Sort+" "+dir, func(t *testing.T) {
				page := b.get("/projects/DEMO?sort=" + col.Sort + "&dir=" + dir)
				expectStatus(t, page, http.StatusOK)
				keys := listRows(page)
				if len(keys) != len(tasks) {
					t.Fatalf("%d rows, want %d", len(keys), len(tasks))
				}
				checkOrder(t, col.Sort, dir == "desc", keys)
				th := page.Doc.Find("table.task-table th[aria-sort]")
				want := map[string]string{"asc": "ascending", "desc": "descending"}[dir]
				if th.Length() != 1 || !th.HasClass("col-"+col.Sort) || th.AttrOr("aria-sort", "") != want {
					t.Errorf("aria-sort on %d header(s), class %q = %q; want %s on col-%s", th.Length(), th.AttrOr("class", ""), th.AttrOr("aria-sort", ""), want, col.Sort)
				}
				// The sorted header's link turns the order round.
				other := map[string]string{"asc": "desc", "desc": "asc"}[dir]
				if got := th.Find("a").AttrOr("href", ""); got != "/projects/DEMO?dir="+other+"&sort="+col.Sort {
					t.Errorf("sorted header links to %q, want the other direction", got)
				}
			})
		}
	}

	t.Run("priority by rank, not by name", func(t *testing.T) {
		var got []string
		page := b.get("/projects/DEMO?sort=priority&dir=desc")
		page.Doc.Find("td.col-priority").Each(func(_ int, s *goquery.Selection) {
			if p := strings.TrimSpace(s.Text()); len(got) == 0 || got[len(got)-1] != p {
				got = append(got, p)
			}
		})
		if want := []string{"Highest", "High", "Medium", "Low", "Lowest"}; !slices.Equal(got, want) {
			t.Errorf("priorities descending = %v, want %v", got, want)
		}
	})

	t.Run("bad sort falls back", func(t *testing.T) {
		for _, tc := range []struct{ query, sorted, dir string }{
			{"?sort=bogus&dir=desc", "col-status", "ascending"},
			{"?sort=" + url.QueryEscape("title'; DROP TABLE tasks;--"), "col-status", "ascending"},
			{"?sort=title&dir=sideways", "col-title", "ascending"},
			{"?sort=updated", "col-updated", "descending"},
			{"?sort=priority", "col-priority", "descending"},
			{"?sort=&dir=", "col-status", "ascending"},
		} {
			page := b.get("/projects/DEMO" + tc.query)
			expectStatus(t, page, http.StatusOK)
			th := page.Doc.Find("table.task-table th[aria-sort]")
			if th.Length() != 1 || !th.HasClass(tc.sorted) || th.AttrOr("aria-sort", "") != tc.dir {
				t.Errorf("%s: sorted header class %q %q, want %s %s", tc.query, th.AttrOr("class", ""), th.AttrOr("aria-sort", ""), tc.sorted, tc.dir)
			}
			if n := len(listRows(page)); n != len(tasks) {
				t.Errorf("%s: %d rows, want %d", tc.query, n, len(tasks))
			}
		}
	})

	t.Run("the board's filter narrows it", func(t *testing.T) {
		count := func(match func(*store.Task) bool) (keys []string) {
			for _, tk := range tasks {
				if match(tk) {
					keys = append(keys, tk.Key)
				}
			}
			return keys
		}
		for _, tc := range []struct {
			query string
			match func(*store.Task) bool
		}{
			{"assignee=" + a.ben.ID, func(t *store.Task) bool { return t.AssigneeID == a.ben.ID }},
			{"assignee=none", func(t *store.Task) bool { return t.AssigneeID == "" }},
			{"type=bug", func(t *store.Task) bool { return t.Type == store.TypeBug }},
			{"label=AUTH", func(t *store.Task) bool { return slices.Contains(t.Labels, "auth") }},
			{"q=report", func(t *store.Task) bool {
				return strings.Contains(strings.ToLower(t.Title), "report") || strings.Contains(strings.ToLower(t.Description), "report")
			}},
		} {
			want := count(tc.match)
			if len(want) == 0 || len(want) == len(tasks) {
				t.Fatalf("%s: the demo has %d matching tasks; the check needs some, not all", tc.query, len(want))
			}
			page := b.get("/projects/DEMO?" + tc.query + "&sort=key&dir=desc")
			expectStatus(t, page, http.StatusOK)
			got := listRows(page)
			slices.SortFunc(want, func(x, y string) int { return byKey[y].Number - byKey[x].Number })
			if !slices.Equal(got, want) {
				t.Errorf("%s: rows %v, want %v", tc.query, got, want)
			}
			expectText(t, page, "table.task-table caption", itoa(len(want))+" of "+itoa(len(tasks))+" tasks")
			// The filter form is the board's, sent to the List, keeping the order.
			form := page.Doc.Find(`form.filter-bar[role="search"]`)
			if form.AttrOr("action", "") != "/projects/DEMO" || form.AttrOr("method", "") != "get" {
				t.Errorf("%s: filter form action %q", tc.query, form.AttrOr("action", ""))
			}
			for name, v := range map[string]string{"sort": "key", "dir": "desc"} {
				if got := form.Find(`input[type=hidden][name="`+name+`"]`).AttrOr("value", ""); got != v {
					t.Errorf("%s: filter form keeps %s = %q, want %q", tc.query, name, got, v)
				}
			}
			// Sorting keeps the filter.
			q, _ := url.ParseQuery(tc.query)
			page.Doc.Find("table.task-table thead th a").Each(func(_ int, s *goquery.Selection) {
				u, err := url.Parse(s.AttrOr("href", ""))
				if err != nil {
					t.Fatal(err)
				}
				for k := range q {
					if !strings.EqualFold(u.Query().Get(k), q.Get(k)) {
						t.Errorf("%s: header link %s drops the filter", tc.query, u)
					}
				}
			})
		}

		none := b.get("/projects/DEMO?q=no-such-task-anywhere")
		expectStatus(t, none, http.StatusOK)
		expectText(t, none, "#task-table .empty", "No task matches this filter", "see all "+itoa(len(tasks)))
		if none.Doc.Find(`#task-table .empty a[href="/projects/DEMO"]`).Length() != 1 {
			t.Error("an empty filtered List has no link to clear the filter")
		}
	})
}
