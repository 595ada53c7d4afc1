package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

// TestAPITaskFilters checks each filter of the task list, alone and combined, against
// the store's board, with pages small enough that the cursor is used.
func TestAPITaskFilters(t *testing.T) {
	e := newAPIEnv(t)
	cols := e.demo.Columns
	archived := e.archive(t, e.app.task("DEMO-19"))
	has := func(labels []string, l string) bool {
		return slices.ContainsFunc(labels, func(x string) bool { return strings.EqualFold(x, l) })
	}
	contains := func(tk *store.Task, s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(strings.ToLower(tk.Title), s) || strings.Contains(strings.ToLower(tk.Description), s) ||
			strings.EqualFold(tk.Key, s)
	}
	cases := []struct {
		name  string
		query url.Values
		keep  func(*store.Task) bool
		min   int // the filter must select at least this many, so that it is tested at all
	}{
		{"column", url.Values{"column": {cols[1].ID}}, func(tk *store.Task) bool { return tk.ColumnID == cols[1].ID }, 3},
		{"assignee", url.Values{"assignee": {e.ben.ID}}, func(tk *store.Task) bool { return tk.AssigneeID == e.ben.ID }, 5},
		{"unassigned", url.Values{"assignee": {"none"}}, func(tk *store.Task) bool { return tk.AssigneeID == "" }, 8},
		{"type", url.Values{"type": {"bug"}}, func(tk *store.Task) bool { return tk.Type == store.TypeBug }, 3},
		{"label", url.Values{"label": {"reports"}}, func(tk *store.Task) bool { return has(tk.Labels, "reports") }, 3},
		{"label in capitals", url.Values{"label": {"UI"}}, func(tk *store.Task) bool { return has(tk.Labels, "ui") }, 3},
		{"text", url.Values{"q": {"Report"}}, func(tk *store.Task) bool { return contains(tk, "report") }, 2},
		{"text in title", url.Values{"q": {"sign-in"}}, func(tk *store.Task) bool { return contains(tk, "sign-in") }, 2},
		{"key", url.Values{"q": {"demo-7"}}, func(tk *store.Task) bool { return tk.Key == "DEMO-7" }, 1},
		{"type and label", url.Values{"type": {"story"}, "label": {"reports"}},
			func(tk *store.Task) bool { return tk.Type == store.TypeStory && has(tk.Labels, "reports") }, 3},
		{"column and unassigned", url.Values{"column": {cols[0].ID}, "assignee": {"none"}},
			func(tk *store.Task) bool { return tk.ColumnID == cols[0].ID && tk.AssigneeID == "" }, 5},
		{"no match", url.Values{"label": {"nothing-has-this"}}, func(*store.Task) bool { return false }, 0},
		{"unknown column", url.Values{"column": {"no-such-column"}}, func(*store.Task) bool { return false }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := e.boardOrder(t, c.keep)
			if len(want) < c.min {
				t.Fatalf("the demo has %d tasks for this filter, want at least %d", len(want), c.min)
			}
			q := c.query.Encode()
			if got := e.taskKeys(t, e.chloeTok, q+"&limit=2"); !slices.Equal(got, want) {
				t.Errorf("?%s\ngot  %v\nwant %v", q, got, want)
			}
			if slices.Contains(want, archived.Key) {
				t.Errorf("an archived task is listed")
			}
		})
	}
	t.Run("archived", func(t *testing.T) {
		want := e.boardOrderOf(t, store.TaskFilter{IncludeArchived: true}, func(*store.Task) bool { return true })
		got := e.taskKeys(t, e.chloeTok, "archived=true&limit=7")
		if !slices.Equal(got, want) || !slices.Contains(got, archived.Key) {
			t.Errorf("archived=true\ngot  %v\nwant %v (with %s)", got, want, archived.Key)
		}
		var page struct{ Tasks []apiTask }
		e.get(t, e.chloeTok, "/projects/DEMO/tasks?archived=true&q="+archived.Key).expect(t, http.StatusOK).decode(t, &page)
		if len(page.Tasks) != 1 || !page.Tasks[0].Archived {
			t.Errorf("archived task: %+v", page.Tasks)
		}
	})
}

// TestAPITaskPagination walks the task list five at a time: every task is visited
// exactly once, in board order, in full pages but the last.
func TestAPITaskPagination(t *testing.T) {
	e := newAPIEnv(t)
	e.archive(t, e.app.task("DEMO-21")) // 20 tasks left: the last page is full
	for _, n := range []int{0, 1, 2} {
		if n > 0 {
			e.newTask(t, "One more") // 21 and 22 tasks: a short last page
		}
		want := e.boardOrder(t, func(*store.Task) bool { return true })
		var got []string
		path := "/projects/DEMO/tasks?limit=5"
		for pages := 1; ; pages++ {
			var page struct {
				Tasks      []apiTask
				NextCursor *string `json:"next_cursor"`
			}
			e.get(t, e.benTok, path).expect(t, http.StatusOK).decode(t, &page)
			for _, tk := range page.Tasks {
				got = append(got, tk.Key)
			}
			if page.NextCursor == nil {
				if len(page.Tasks) == 0 || len(page.Tasks) > 5 {
					t.Errorf("last page has %d tasks", len(page.Tasks))
				}
				if wantPages := (len(want) + 4) / 5; pages != wantPages {
					t.Errorf("%d pages for %d tasks, want %d", pages, len(want), wantPages)
				}
				break
			}
			if len(page.Tasks) != 5 {
				t.Fatalf("page %d has %d tasks and a next cursor", pages, len(page.Tasks))
			}
			if pages > 10 {
				t.Fatal("more pages than tasks")
			}
			path = "/projects/DEMO/tasks?limit=5&cursor=" + url.QueryEscape(*page.NextCursor)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d tasks: walked\n%v\nwant\n%v", len(want), got, want)
		}
	}
}
