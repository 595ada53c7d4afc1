package handlers_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

// apiPendingConflict is a pending conflict as GET .../conflicts shows it.
type apiPendingConflict struct {
	Seq            int64          `json:"seq"`
	TaskID         string         `json:"task_id"`
	TaskKey        string         `json:"task_key"`
	Command        string         `json:"command"`
	BaseVersion    int            `json:"base_version"`
	CurrentVersion int            `json:"current_version"`
	Task           apiTask        `json:"task"`
	Conflicts      []apiConflict  `json:"conflicts"`
	Wanted         map[string]any `json:"wanted"`
}

// apiConflict is one field of a conflict.
type apiConflict struct {
	Field     string `json:"field"`
	Yours     any    `json:"yours"`
	Theirs    any    `json:"theirs"`
	ChangedBy string `json:"changed_by"`
}

// apiAnswered is the answer to POST .../conflicts/SEQ.
type apiAnswered struct {
	apiTask
	Answered string `json:"answered"`
}

// pendingConflicts lists the pending conflicts of token's holder in project key.
func (e *apiEnv) pendingConflicts(t *testing.T, token, key string) []apiPendingConflict {
	t.Helper()
	var out struct {
		Conflicts []apiPendingConflict `json:"conflicts"`
	}
	e.get(t, token, "/projects/"+key+"/conflicts").expect(t, http.StatusOK).decode(t, &out)
	return out.Conflicts
}

// pendingSeqs lists the seqs of the pending conflicts of token's holder in DEMO.
func (e *apiEnv) pendingSeqs(t *testing.T, token string) []int64 {
	t.Helper()
	var seqs []int64
	for _, pc := range e.pendingConflicts(t, token, "DEMO") {
		seqs = append(seqs, pc.Seq)
	}
	return seqs
}

// retitle PATCHes a DEMO task's title based on version base.
func (e *apiEnv) retitle(t *testing.T, token, key string, base int, title string) *apiResult {
	t.Helper()
	return e.patch(t, token, apiTaskPath(key), map[string]any{"base_version": base, "title": title})
}

// refuse has Ana retitle the task (from version base) and then Ben retitle it from the
// same version: Ben's change is refused, and its conflict_seq returned.
func (e *apiEnv) refuse(t *testing.T, key string, base int, ana, ben string) int64 {
	t.Helper()
	e.retitle(t, e.anaTok, key, base, ana).expect(t, http.StatusOK)
	p := e.retitle(t, e.benTok, key, base, ben).expectProblem(t, http.StatusConflict)
	if p.ConflictSeq < 1 || len(p.Conflicts) != 1 || p.Conflicts[0].Field != "title" || p.Conflicts[0].Yours != ben || p.Conflicts[0].Theirs != ana {
		t.Fatalf("409 for Ben: conflict_seq %d, conflicts %+v", p.ConflictSeq, p.Conflicts)
	}
	return p.ConflictSeq
}

// answer posts Ben's answer to conflict seq of DEMO.
func (e *apiEnv) answer(t *testing.T, seq int64, body any, header ...string) *apiResult {
	t.Helper()
	return e.post(t, e.benTok, fmt.Sprintf("/projects/DEMO/conflicts/%d", seq), body, header...)
}

// TestAPIPendingConflicts follows a conflict refused by the API from the 409 (with its
// conflict_seq) through the refused user's list of pending conflicts to each answer:
// "theirs" keeps the task, "mine" applies the change, or conflicts anew when the field
// changed again; an answered or replaced conflict is gone (404).
func TestAPIPendingConflicts(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.newTask(t, "Pending conflicts") // version 1

	// Ben's change (title and priority) meets Ana's title.
	e.retitle(t, e.anaTok, tk.Key, 1, "Ana's title").expect(t, http.StatusOK) // version 2
	p := e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"base_version": 1, "title": "Ben's title", "priority": "high"}).
		expectProblem(t, http.StatusConflict)
	if p.ConflictSeq < 1 || p.Current == nil || p.Current.Version != 2 {
		t.Fatalf("409: conflict_seq %d, current %+v", p.ConflictSeq, p.Current)
	}
	first := p.ConflictSeq

	list := e.pendingConflicts(t, e.benTok, "DEMO")
	if len(list) != 1 {
		t.Fatalf("Ben's pending conflicts: %+v", list)
	}
	pc := list[0]
	if pc.Seq != first || pc.TaskID != tk.ID || pc.TaskKey != tk.Key || pc.Command != "edit" || pc.BaseVersion != 1 || pc.CurrentVersion != 2 ||
		pc.Task.Version != 2 || pc.Task.Title != "Ana's title" {
		t.Errorf("pending conflict %+v", pc)
	}
	if len(pc.Conflicts) != 1 || pc.Conflicts[0] != (apiConflict{Field: "title", Yours: "Ben's title", Theirs: "Ana's title", ChangedBy: e.ana.ID}) {
		t.Errorf("conflicts %+v", pc.Conflicts)
	}
	if want := map[string]any{"title": "Ben's title", "priority": "high"}; !maps.Equal(pc.Wanted, want) {
		t.Errorf("wanted %v, want %v", pc.Wanted, want)
	}
	// Nobody else sees it; a viewer's list is empty.
	for _, tok := range []string{e.anaTok, e.chloeTok} {
		if others := e.pendingConflicts(t, tok, "DEMO"); len(others) != 0 {
			t.Errorf("someone else's pending conflicts: %+v", others)
		}
	}

	t.Run("theirs keeps the task", func(t *testing.T) {
		res := e.answer(t, first, map[string]any{"choice": "theirs"}).expect(t, http.StatusOK)
		var a apiAnswered
		res.decode(t, &a)
		if a.Answered != "theirs" || a.Title != "Ana's title" || a.Priority != "medium" || a.Version != 2 || len(a.Applied) != 0 ||
			len(a.Merged) != 0 || res.header.Get("ETag") != apiETag(2) {
			t.Errorf("answer theirs: %s (ETag %s)", res.body, res.header.Get("ETag"))
		}
		if seqs := e.pendingSeqs(t, e.benTok); len(seqs) != 0 {
			t.Errorf("still pending after the answer: %v", seqs)
		}
		before := e.eventCount()
		for _, choice := range []string{"theirs", "mine"} {
			e.answer(t, first, map[string]any{"choice": choice}).expectProblem(t, http.StatusNotFound, "no such conflict")
		}
		if n := e.eventCount(); n != before {
			t.Errorf("answering an answered conflict appended %d events", n-before)
		}
	})

	t.Run("mine applies the change", func(t *testing.T) {
		cur := e.app.task(tk.Key).Version
		seq := e.refuse(t, tk.Key, cur, "Ana again", "Ben again")
		if seq == first {
			t.Fatalf("a new conflict has the old seq %d", seq)
		}
		res := e.answer(t, seq, map[string]any{"choice": "mine"}).expect(t, http.StatusOK)
		var a apiAnswered
		res.decode(t, &a)
		if a.Answered != "mine" || a.Title != "Ben again" || !slices.Equal(a.Applied, []string{"title"}) || a.Version != cur+2 ||
			res.header.Get("ETag") != apiETag(cur+2) {
			t.Errorf("answer mine: %s (ETag %s)", res.body, res.header.Get("ETag"))
		}
		if seqs := e.pendingSeqs(t, e.benTok); len(seqs) != 0 {
			t.Errorf("still pending after the answer: %v", seqs)
		}
		var h struct {
			History []struct {
				Type string `json:"type"`
			} `json:"history"`
		}
		e.get(t, e.chloeTok, apiTaskPath(tk.Key, "/history")).expect(t, http.StatusOK).decode(t, &h)
		if n := len(h.History); n < 2 || h.History[n-2].Type != store.TypeTaskRetitled || h.History[n-1].Type != store.TypeConflictAnswered {
			t.Errorf("history ends with %+v, want the change then the answer", h.History)
		}
	})

	t.Run("mine after another change conflicts anew", func(t *testing.T) {
		cur := e.app.task(tk.Key).Version
		seq := e.refuse(t, tk.Key, cur, "Ana third", "Ben third")
		e.retitle(t, e.anaTok, tk.Key, cur+1, "Ana fourth").expect(t, http.StatusOK)
		p := e.answer(t, seq, map[string]any{"choice": "mine"}).expectProblem(t, http.StatusConflict)
		if p.ConflictSeq <= seq || len(p.Conflicts) != 1 || p.Conflicts[0].Yours != "Ben third" || p.Conflicts[0].Theirs != "Ana fourth" ||
			p.Current == nil || p.Current.Title != "Ana fourth" {
			t.Fatalf("409 for the answer: conflict_seq %d (was %d), conflicts %+v, current %+v", p.ConflictSeq, seq, p.Conflicts, p.Current)
		}
		if seqs := e.pendingSeqs(t, e.benTok); !slices.Equal(seqs, []int64{p.ConflictSeq}) {
			t.Errorf("pending %v, want only the new conflict %d", seqs, p.ConflictSeq)
		}
		e.answer(t, seq, map[string]any{"choice": "theirs"}).expectProblem(t, http.StatusNotFound, "replaced")
		// Answering the new one with the version Ben now saw applies it.
		res := e.answer(t, p.ConflictSeq, map[string]any{"choice": "mine", "base_version": p.Current.Version}).expect(t, http.StatusOK)
		if a := res.task(t); a.Title != "Ben third" || a.Version != p.Current.Version+1 {
			t.Errorf("answer mine at the current version: %s", res.body)
		}
	})

	t.Run("a conflict from a sync", func(t *testing.T) {
		cur := e.app.task(tk.Key).Version
		e.retitle(t, e.anaTok, tk.Key, cur, "Ana before the sync").expect(t, http.StatusOK)
		batch := map[string]any{"operations": []map[string]any{{"op_id": "pending-1", "task": tk.Key, "base_version": cur, "action": "update",
			"changes": map[string]any{"title": "Ben offline"}}}}
		var out struct {
			Results []struct {
				Status   string     `json:"status"`
				Conflict apiProblem `json:"conflict"`
			} `json:"results"`
		}
		e.post(t, e.benTok, "/sync", batch).expect(t, http.StatusOK).decode(t, &out)
		if len(out.Results) != 1 || out.Results[0].Status != "conflict" || out.Results[0].Conflict.ConflictSeq < 1 {
			t.Fatalf("sync results %+v", out.Results)
		}
		seq := out.Results[0].Conflict.ConflictSeq
		if seqs := e.pendingSeqs(t, e.benTok); !slices.Equal(seqs, []int64{seq}) {
			t.Errorf("pending %v after the sync, want %d", seqs, seq)
		}
		e.answer(t, seq, map[string]any{"choice": "theirs"}).expect(t, http.StatusOK)
	})

	t.Run("a refused move and a refused clearing, oldest first", func(t *testing.T) {
		cols := e.demo.Columns
		moved := e.newTask(t, "Refused move")
		e.post(t, e.anaTok, apiTaskPath(moved.Key, "/move"), map[string]any{"base_version": 1, "column_id": cols[1].ID}).expect(t, http.StatusOK)
		e.post(t, e.benTok, apiTaskPath(moved.Key, "/move"), map[string]any{"base_version": 1, "column_id": cols[2].ID}).
			expectProblem(t, http.StatusConflict)
		points := 3.0
		cleared, err := e.st.CreateTask(e.ctx, e.ana.ID, store.NewTask{ProjectID: e.demo.ID, Title: "Refused clearing", AssigneeID: e.ben.ID, Points: &points})
		if err != nil {
			t.Fatal(err)
		}
		e.patch(t, e.anaTok, apiTaskPath(cleared.Key), map[string]any{"base_version": 1, "assignee_id": e.ana.ID}).expect(t, http.StatusOK)
		e.patch(t, e.benTok, apiTaskPath(cleared.Key), map[string]any{"base_version": 1, "assignee_id": nil, "points": nil}).
			expectProblem(t, http.StatusConflict)

		list := e.pendingConflicts(t, e.benTok, "DEMO")
		if len(list) != 2 || list[0].Seq >= list[1].Seq {
			t.Fatalf("pending %+v, want two, oldest first", list)
		}
		m, c := list[0], list[1]
		if m.TaskKey != moved.Key || m.Command != "move" || m.Task.ColumnID != cols[1].ID || !maps.Equal(m.Wanted, map[string]any{"column_id": cols[2].ID}) ||
			len(m.Conflicts) != 1 || m.Conflicts[0] != (apiConflict{Field: "column_id", Yours: cols[2].ID, Theirs: cols[1].ID, ChangedBy: e.ana.ID}) {
			t.Errorf("refused move %+v", m)
		}
		if c.TaskKey != cleared.Key || c.Command != "edit" || !maps.Equal(c.Wanted, map[string]any{"assignee_id": nil, "points": nil}) ||
			len(c.Conflicts) != 1 || c.Conflicts[0] != (apiConflict{Field: "assignee_id", Yours: nil, Theirs: e.ana.ID, ChangedBy: e.ana.ID}) {
			t.Errorf("refused clearing %+v", c)
		}
		// "mine" moves the task after all.
		res := e.answer(t, m.Seq, map[string]any{"choice": "mine"}).expect(t, http.StatusOK)
		if a := res.task(t); a.ColumnID != cols[2].ID || !slices.Equal(a.Applied, []string{"column_id"}) {
			t.Errorf("answer mine to a move: %s", res.body)
		}
	})
}

// TestAPIConflictAnswerErrors checks what answering refuses, each answer validated
// against the document, and then that both conflict operations answered every status
// they document (TestAPIEndpoints leaves them to this test).
func TestAPIConflictAnswerErrors(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.newTask(t, "Answers refused")
	seq := e.refuse(t, tk.Key, 1, "Ana's", "Ben's")
	path := fmt.Sprintf("/projects/DEMO/conflicts/%d", seq)
	before := e.eventCount()

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"choice": "maybe"}, "choice"},
			{map[string]any{"choice": "MINE"}, "choice"},
			{map[string]any{}, "choice"},
			{map[string]any{"choice": "mine", "base_version": 0}, "base_version"},
		} {
			if p := e.answer(t, seq, c.body).expectProblem(t, http.StatusUnprocessableEntity); p.Field != c.field {
				t.Errorf("%v: field %q, want %q (%s)", c.body, p.Field, c.field, p.Detail)
			}
		}
		for body, words := range map[string][]string{
			`{"choice": "mine", "force": true}`:       {`unknown field "force"`},
			`{"choice": 1}`:                           {`"choice"`},
			`{"choice": "mine", "base_version": "3"}`: {`"base_version"`},
			`{"choice": "mine"`:                       {"not valid JSON"},
			`["mine"]`:                                {"must be a JSON object"},
			`{} {}`:                                   {"exactly one JSON value"},
			``:                                        {"empty"},
		} {
			e.answer(t, seq, body).expectProblem(t, http.StatusBadRequest, words...)
		}
		big := `{"choice": "` + strings.Repeat("a", 1<<20) + `"}`
		e.answer(t, seq, big).expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
		e.answer(t, seq, big, "Idempotency-Key", "big-answer").expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
	})

	t.Run("who may answer", func(t *testing.T) {
		body := map[string]any{"choice": "theirs"}
		for _, c := range []struct {
			name  string
			call  apiCall
			want  int
			words string
		}{
			{"no token", apiCall{method: http.MethodPost, path: path, body: body}, http.StatusUnauthorized, "token"},
			{"viewer", apiCall{method: http.MethodPost, path: path, token: e.chloeTok, body: body}, http.StatusForbidden, "viewer"},
			{"non-member", apiCall{method: http.MethodPost, path: path, token: e.strangerTok, body: body}, http.StatusNotFound, "no "},
			{"no such project", apiCall{method: http.MethodPost, path: strings.Replace(path, "DEMO", "NOPE", 1), token: e.benTok, body: body}, http.StatusNotFound, "no "},
			{"someone else's", apiCall{method: http.MethodPost, path: path, token: e.anaTok, body: body}, http.StatusNotFound, "no such conflict"},
		} {
			t.Run(c.name, func(t *testing.T) { e.do(t, c.call).expectProblem(t, c.want, c.words) })
		}
		for _, s := range []string{"0", "-1", "x", "1.5", "99999999999", "99999999999999999999"} {
			e.do(t, apiCall{method: http.MethodPost, path: "/projects/DEMO/conflicts/" + s, token: e.benTok, body: body}).
				expectProblem(t, http.StatusNotFound)
		}
		// The list: 401 without a token, 404 outside one's projects.
		e.get(t, "", "/projects/DEMO/conflicts").expectProblem(t, http.StatusUnauthorized)
		e.get(t, e.strangerTok, "/projects/DEMO/conflicts").expectProblem(t, http.StatusNotFound)
		e.get(t, e.benTok, "/projects/NOPE/conflicts").expectProblem(t, http.StatusNotFound)
	})
	if n := e.eventCount(); n != before {
		t.Errorf("refused answers appended %d events", n-before)
	}
	if seqs := e.pendingSeqs(t, e.benTok); !slices.Equal(seqs, []int64{seq}) {
		t.Errorf("pending %v, want %d untouched", seqs, seq)
	}

	t.Run("another project's conflict", func(t *testing.T) {
		other, err := e.st.CreateProject(e.ctx, e.ana.ID, store.NewProject{Key: "OTHER", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.AddMember(e.ctx, e.ana.ID, other.ID, e.ben.Email, store.RoleMember); err != nil {
			t.Fatal(err)
		}
		ot, err := e.st.CreateTask(e.ctx, e.ana.ID, store.NewTask{ProjectID: other.ID, Title: "Elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.UpdateTask(e.ctx, e.ana.ID, store.TaskUpdate{TaskID: ot.ID, BaseVersion: 1, Title: store.Some("Ana's")}); err != nil {
			t.Fatal(err)
		}
		p := e.patch(t, e.benTok, "/projects/OTHER/tasks/"+ot.Key, map[string]any{"base_version": 1, "title": "Ben's"}).
			expectProblem(t, http.StatusConflict)
		if got := e.pendingConflicts(t, e.benTok, "OTHER"); len(got) != 1 || got[0].Seq != p.ConflictSeq || got[0].TaskKey != ot.Key {
			t.Errorf("OTHER's pending conflicts %+v, want %d", got, p.ConflictSeq)
		}
		if seqs := e.pendingSeqs(t, e.benTok); !slices.Equal(seqs, []int64{seq}) {
			t.Errorf("DEMO's pending %v, want only %d", seqs, seq)
		}
		e.answer(t, p.ConflictSeq, map[string]any{"choice": "theirs"}).expectProblem(t, http.StatusNotFound, "no such conflict")
		e.post(t, e.benTok, fmt.Sprintf("/projects/OTHER/conflicts/%d", p.ConflictSeq), map[string]any{"choice": "theirs"}).expect(t, http.StatusOK)
	})

	t.Run("retried answer", func(t *testing.T) {
		body := map[string]any{"choice": "mine"}
		first := e.answer(t, seq, body, "Idempotency-Key", "answer-1").expect(t, http.StatusOK)
		n := e.eventCount()
		again := e.answer(t, seq, body, "Idempotency-Key", "answer-1").expect(t, http.StatusOK)
		if string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("ETag") != first.header.Get("ETag") {
			t.Errorf("replay: %s (%v), first %s", again.body, again.header, first.body)
		}
		if e.eventCount() != n {
			t.Errorf("a replayed answer appended events")
		}
		// Without the key, the conflict is gone.
		e.answer(t, seq, body).expectProblem(t, http.StatusNotFound)
	})

	// Every documented status of both operations was seen (409: TestAPIPendingConflicts
	// and here below).
	e.retitle(t, e.anaTok, tk.Key, e.app.task(tk.Key).Version, "Ana's last").expect(t, http.StatusOK)
	stale := e.retitle(t, e.benTok, tk.Key, 2, "Ben's last").expectProblem(t, http.StatusConflict).ConflictSeq
	e.retitle(t, e.anaTok, tk.Key, e.app.task(tk.Key).Version, "Ana's very last").expect(t, http.StatusOK)
	e.answer(t, stale, map[string]any{"choice": "mine"}).expectProblem(t, http.StatusConflict)
	e.requireSeen(t, "listPendingConflicts", http.StatusOK, http.StatusUnauthorized, http.StatusNotFound)
	e.requireSeen(t, "answerConflict", http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
}

// requireSeen fails the test unless operation op answered each of statuses at least once.
func (e *apiEnv) requireSeen(t *testing.T, op string, statuses ...int) {
	t.Helper()
	for _, status := range statuses {
		if !e.seen[op][status] {
			t.Errorf("%s: no test got %d", op, status)
		}
	}
}
