package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	secret, tok, err := b.s.CreateToken(ctx, b.ben, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "tack_") || len(secret) < 40 {
		t.Errorf("secret %q does not look like a Tack token", secret)
	}
	var stored string
	if err := b.s.read.Get(&stored, `SELECT hash FROM api_tokens WHERE id = ?`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if stored == secret || strings.Contains(stored, secret) || stored != hashToken(secret) {
		t.Errorf("stored %q: want only the SHA-256 of the secret", stored)
	}
	u, err := b.s.AuthenticateToken(ctx, secret)
	if err != nil || u.ID != b.ben {
		t.Fatalf("AuthenticateToken = %v, %v; want Ben", u, err)
	}
	for _, bad := range []string{"", "tack_nope", secret + "x", "Bearer " + secret, strings.TrimPrefix(secret, "tack_")} {
		if _, err := b.s.AuthenticateToken(ctx, bad); ErrorCode(err) != EUNAUTHORIZED {
			t.Errorf("AuthenticateToken(%q) = %v, want EUNAUTHORIZED", bad, err)
		}
	}
	list, err := b.s.Tokens(ctx, b.ben)
	if err != nil || len(list) != 1 || list[0].Name != "laptop" || list[0].LastUsedAt.IsZero() {
		t.Fatalf("Tokens = %+v, %v; want the used laptop token", list, err)
	}
	if err := b.s.RevokeToken(ctx, b.ana, tok.ID); ErrorCode(err) != ENOTFOUND {
		t.Errorf("Ana revoking Ben's token = %v, want ENOTFOUND", err)
	}
	if err := b.s.RevokeToken(ctx, b.ben, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.AuthenticateToken(ctx, secret); ErrorCode(err) != EUNAUTHORIZED {
		t.Errorf("revoked token authenticates: %v", err)
	}
	if err := b.s.RevokeToken(ctx, b.ben, tok.ID); ErrorCode(err) != ENOTFOUND {
		t.Errorf("revoking twice = %v, want ENOTFOUND", err)
	}
	if _, _, err := b.s.CreateToken(ctx, b.ben, strings.Repeat("n", 81)); ErrorCode(err) != EINVALID {
		t.Errorf("over-long name = %v, want EINVALID", err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	saved, err := b.s.BeginIdempotent(ctx, b.ben, "k1", "fp1")
	if err != nil || saved != nil {
		t.Fatalf("first Begin = %v, %v; want nil, nil", saved, err)
	}
	if _, err := b.s.BeginIdempotent(ctx, b.ben, "k1", "fp1"); ErrorCode(err) != ECONFLICT {
		t.Errorf("Begin while in progress = %v, want ECONFLICT", err)
	}
	want := SavedResponse{Status: 201, ContentType: "application/json", Headers: map[string]string{"ETag": `"1"`}, Body: []byte(`{"ok":true}`)}
	if err := b.s.FinishIdempotent(ctx, b.ben, "k1", want); err != nil {
		t.Fatal(err)
	}
	saved, err = b.s.BeginIdempotent(ctx, b.ben, "k1", "fp1")
	if err != nil || saved == nil || saved.Status != 201 || string(saved.Body) != `{"ok":true}` || saved.Headers["ETag"] != `"1"` {
		t.Fatalf("repeat Begin = %+v, %v; want the saved response", saved, err)
	}
	if _, err := b.s.BeginIdempotent(ctx, b.ben, "k1", "other"); ErrorCode(err) != EINVALID {
		t.Errorf("same key, other request = %v, want EINVALID", err)
	}
	// Keys belong to their user.
	if saved, err := b.s.BeginIdempotent(ctx, b.ana, "k1", "other"); err != nil || saved != nil {
		t.Errorf("Ana's k1 = %v, %v; want a fresh reservation", saved, err)
	}
	// An abandoned reservation can be taken again at once.
	if _, err := b.s.BeginIdempotent(ctx, b.ben, "k2", "fp"); err != nil {
		t.Fatal(err)
	}
	if err := b.s.AbandonIdempotent(ctx, b.ben, "k2"); err != nil {
		t.Fatal(err)
	}
	if saved, err := b.s.BeginIdempotent(ctx, b.ben, "k2", "fp"); err != nil || saved != nil {
		t.Errorf("Begin after abandon = %v, %v; want a fresh reservation", saved, err)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("k", 256), "naïve"} {
		if _, err := b.s.BeginIdempotent(ctx, b.ben, bad, "fp"); ErrorCode(err) != EINVALID {
			t.Errorf("key %q = %v, want EINVALID", bad, err)
		}
	}
	// Keys are kept at least 24 hours, and purged after 48.
	now := b.s.Now()
	b.s.Now = func() time.Time { return now.Add(25 * time.Hour) }
	if saved, err := b.s.BeginIdempotent(ctx, b.ben, "k1", "fp1"); err != nil || saved == nil {
		t.Errorf("after 25 h = %v, %v; want the saved response", saved, err)
	}
	b.s.Now = func() time.Time { return now.Add(49 * time.Hour) }
	if saved, err := b.s.BeginIdempotent(ctx, b.ben, "k1", "fp1"); err != nil || saved != nil {
		t.Errorf("after 49 h = %v, %v; want the key forgotten", saved, err)
	}
}

func TestStrictPrecondition(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Strict", colToDo)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Priority: Some(PriorityHigh)}); err != nil {
		t.Fatal(err)
	}
	before := eventCount(t, b.s)
	cases := []struct {
		name string
		run  func() error
	}{
		{"edit of another field", func() error {
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Strict: true, Title: Some("Mine")})
			return err
		}},
		{"move", func() error {
			_, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: 1, Strict: true, ColumnID: colDone})
			return err
		}},
		{"version 0", func() error {
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 0, Strict: true, Title: Some("Mine")})
			return err
		}},
		{"a future version", func() error {
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 9, Strict: true, Title: Some("Mine")})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			var pe *PreconditionError
			if !errors.As(err, &pe) || ErrorCode(err) != EPRECONDITION {
				t.Fatalf("err = %v, want *PreconditionError", err)
			}
			if pe.Task.Version != 2 || pe.Task.Priority != PriorityHigh {
				t.Errorf("current = version %d priority %s; want version 2, high", pe.Task.Version, pe.Task.Priority)
			}
		})
	}
	if eventCount(t, b.s) != before {
		t.Errorf("refused strict commands appended events (conflicts are not recorded for preconditions)")
	}
	res, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 2, Strict: true, Title: Some("Mine")})
	if err != nil || res.Task.Title != "Mine" || res.Task.Version != 3 {
		t.Fatalf("strict update at the current version = %+v, %v", res, err)
	}
}

func TestQueryTasks(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	var all []*Task
	for i, col := range []string{colToDo, colDone, colToDo, colInProgress, colToDo, colDone, colInReview} {
		task := b.mustCreate(t, []string{"Alpha", "Beta", "Gamma", "Delta report", "Epsilon", "Zeta", "Eta"}[i], col)
		all = append(all, task)
	}
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: all[0].ID, BaseVersion: 1, Assignee: Some(b.ben), Labels: Some([]string{"UI"}), Type: Some(TypeBug)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: all[4].ID, BaseVersion: 1, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}
	titles := func(q TaskQuery) string {
		t.Helper()
		q.ProjectID = b.p.ID
		tasks, _, err := b.s.QueryTasks(ctx, q)
		if err != nil {
			t.Fatalf("QueryTasks(%+v): %v", q, err)
		}
		var out []string
		for _, task := range tasks {
			out = append(out, task.Title)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		q    TaskQuery
		want string
	}{
		{TaskQuery{}, "Alpha,Gamma,Delta report,Eta,Beta,Zeta"},
		{TaskQuery{IncludeArchived: true}, "Alpha,Gamma,Epsilon,Delta report,Eta,Beta,Zeta"},
		{TaskQuery{Column: colDone}, "Beta,Zeta"},
		{TaskQuery{Assignee: b.ben}, "Alpha"},
		{TaskQuery{Assignee: "none", Column: colToDo}, "Gamma"},
		{TaskQuery{Type: TypeBug}, "Alpha"},
		{TaskQuery{Label: "ui"}, "Alpha"},
		{TaskQuery{Text: "REPORT"}, "Delta report"},
		{TaskQuery{Text: "TACK-2"}, "Beta"},
	}
	for _, c := range cases {
		if got := titles(c.q); got != c.want {
			t.Errorf("QueryTasks(%+v) = %s, want %s", c.q, got, c.want)
		}
	}
	// Walking pages of 2 visits every task once, in board order.
	var walked []string
	cursor := ""
	for pages := 0; ; pages++ {
		tasks, next, err := b.s.QueryTasks(ctx, TaskQuery{ProjectID: b.p.ID, Limit: 2, Cursor: cursor, IncludeArchived: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			walked = append(walked, task.Title)
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if got := strings.Join(walked, ","); got != "Alpha,Gamma,Epsilon,Delta report,Eta,Beta,Zeta" {
		t.Errorf("pages walked %s", got)
	}
	for _, bad := range []TaskQuery{{Cursor: "garbage!"}, {Limit: 201}, {Limit: -1}} {
		bad.ProjectID = b.p.ID
		if _, _, err := b.s.QueryTasks(ctx, bad); ErrorCode(err) != EINVALID {
			t.Errorf("QueryTasks(%+v) = %v, want EINVALID", bad, err)
		}
	}
}

func TestProjectEvents(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	p2, err := b.s.CreateProject(ctx, b.ana, NewProject{Key: "OTHER", Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	task := b.mustCreate(t, "Counted", colToDo)
	if _, err := b.s.CreateTask(ctx, b.ana, NewTask{ProjectID: p2.ID, Title: "Elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.MoveTask(ctx, b.ana, TaskMove{TaskID: task.ID, BaseVersion: 1, ColumnID: colDone}); err != nil {
		t.Fatal(err)
	}
	// A refused change is part of the feed too.
	if _, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: 1, ColumnID: colInProgress}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("want a conflict, got %v", err)
	}
	events, err := b.s.ProjectEvents(ctx, b.p.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	last := int64(0)
	for _, e := range events {
		if e.Seq <= last {
			t.Fatalf("events out of order at seq %d", e.Seq)
		}
		last = e.Seq
		if e.Stream == projectStream(p2.ID) || strings.Contains(string(e.Data), "Elsewhere") {
			t.Errorf("event %d of another project in the feed", e.Seq)
		}
		types = append(types, e.Type)
	}
	got := strings.Join(types, ",")
	if !strings.HasPrefix(got, "project.created,project.member_added") || !strings.HasSuffix(got, "task.created,task.moved,task.conflict_recorded") {
		t.Errorf("feed types = %s", got)
	}
	page, err := b.s.ProjectEvents(ctx, b.p.ID, events[1].Seq, 2)
	if err != nil || len(page) != 2 || page[0].Seq != events[2].Seq {
		t.Errorf("page after %d = %d events starting %v, %v", events[1].Seq, len(page), page, err)
	}
}
