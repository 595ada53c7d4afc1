package views

import (
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
)

func TestGroupActivity(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	e := func(key, text string, ago time.Duration) store.HistoryEntry {
		return store.HistoryEntry{TaskID: "id-" + key, TaskKey: key, Text: text, At: at(ago)}
	}
	entries := []store.HistoryEntry{ // newest first, as the store lists them
		e("DEMO-12", "moved DEMO-12 from To Do to In Progress", time.Minute),
		e("DEMO-12", "edited DEMO-12", 2*time.Minute),
		e("DEMO-1", "moved DEMO-1 to Done after DEMO-12", 3*time.Minute),
		e("", "changed the workflow", 4*time.Minute),
		e("DEMO-12", "created DEMO-12 in To Do", 11*time.Hour),
		e("DEMO-3", "created DEMO-3 in To Do", 40*24*time.Hour),
	}
	days := GroupActivity(now, entries, map[string]string{"id-DEMO-12": "Time tracking"})

	type run struct {
		key, title string
		texts      []string
	}
	want := []struct {
		label string
		runs  []run
	}{
		{"Today", []run{
			{"DEMO-12", "Time tracking", []string{"moved it from To Do to In Progress", "edited it"}},
			{"DEMO-1", "", []string{"moved it to Done after DEMO-12"}},
			{"", "", []string{"changed the workflow"}},
		}},
		{"Yesterday", []run{{"DEMO-12", "Time tracking", []string{"created it in To Do"}}}},
		{"Sunday 18 October", []run{{"DEMO-3", "", []string{"created it in To Do"}}}},
	}
	if len(days) != len(want) {
		t.Fatalf("%d days, want %d: %+v", len(days), len(want), days)
	}
	for i, w := range want {
		d := days[i]
		if d.Label != w.label {
			t.Errorf("day %d is %q, want %q", i, d.Label, w.label)
		}
		if len(d.Runs) != len(w.runs) {
			t.Errorf("%s: %d runs, want %d: %+v", w.label, len(d.Runs), len(w.runs), d.Runs)
			continue
		}
		for j, wr := range w.runs {
			r := d.Runs[j]
			if r.TaskKey != wr.key || r.TaskTitle != wr.title || len(r.Entries) != len(wr.texts) {
				t.Errorf("%s run %d: %s %q with %d events, want %s %q with %d", w.label, j, r.TaskKey, r.TaskTitle, len(r.Entries), wr.key, wr.title, len(wr.texts))
				continue
			}
			for k, text := range wr.texts {
				if r.Entries[k].Text != text {
					t.Errorf("%s run %d event %d says %q, want %q", w.label, j, k, r.Entries[k].Text, text)
				}
			}
		}
	}
}
