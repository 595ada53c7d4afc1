package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ProjectFor is read on every request under a project; it must follow membership and
// workflow changes at once and return what Project returns.
func TestProjectForFollowsChangesAtOnce(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	steps := []struct {
		name     string
		change   func() error
		user     string
		wantRole Role
		wantCode string
		wantCols []string
	}{
		{"as created", func() error { return nil }, b.ben, RoleMember, "", []string{"To Do", "In Progress", "In Review", "Done"}},
		{"role raised", func() error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ben, RoleAdmin) }, b.ben, RoleAdmin, "", nil},
		{"role lowered", func() error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ben, RoleViewer) }, b.ben, RoleViewer, "", nil},
		{"workflow changed", func() error {
			p, err := b.s.Project(ctx, b.p.ID)
			if err != nil {
				return err
			}
			cols := []Column{p.Columns[3], p.Columns[0], {Name: "Blocked", WIPLimit: 3}, p.Columns[1], p.Columns[2]}
			return b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, p.Version, cols)
		}, b.ben, RoleViewer, "", []string{"Done", "To Do", "Blocked", "In Progress", "In Review"}},
		{"removed", func() error { return b.s.RemoveMember(ctx, b.ana, b.p.ID, b.ben) }, b.ben, "", ENOTFOUND, nil},
		{"others unaffected", func() error { return nil }, b.cleo, RoleMember, "", nil},
		{"added again", func() error { return b.s.AddMember(ctx, b.ana, b.p.ID, "ben@test.tack", RoleMember) }, b.ben, RoleMember, "", nil},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		p, role, err := b.s.ProjectFor(ctx, st.user, "tack")
		if ErrorCode(err) != st.wantCode || role != st.wantRole {
			t.Fatalf("%s: ProjectFor = %q, %v; want %q, %q", st.name, role, err, st.wantRole, st.wantCode)
		}
		if err != nil {
			if p != nil {
				t.Errorf("%s: ProjectFor returned a project with its error", st.name)
			}
			continue
		}
		want, err := b.s.Project(ctx, b.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("%s: ProjectFor = %+v\nProject = %+v", st.name, p, want)
		}
		if st.wantCols != nil {
			var names []string
			for _, c := range p.Columns {
				names = append(names, c.Name)
			}
			if strings.Join(names, "|") != strings.Join(st.wantCols, "|") {
				t.Errorf("%s: columns %v, want %v", st.name, names, st.wantCols)
			}
		}
	}
}

// AuthenticateToken reads the token and its user in one statement and records use at
// most once a minute per token.
func TestAuthenticateTokenUserAndLastUse(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	b.s.Now = func() time.Time { return clock }
	secret, tok, err := b.s.CreateToken(ctx, b.ben, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := b.s.CreateToken(ctx, b.cleo, "ci")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() string {
		var s string
		if err := b.s.read.Get(&s, `SELECT last_used_at FROM api_tokens WHERE id = ?`, tok.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	steps := []struct {
		name     string
		advance  time.Duration
		secret   string
		wantUser string
		wantCode string
		wantLast time.Time // zero: never used
	}{
		{"first use", 0, secret, b.ben, "", clock},
		{"again at once: not written", 10 * time.Second, secret, b.ben, "", clock},
		{"59s later: not written", 49 * time.Second, secret, b.ben, "", clock},
		{"a minute later: written", time.Second, secret, b.ben, "", clock.Add(time.Minute)},
		{"another user's token", time.Second, other, b.cleo, "", clock.Add(time.Minute)},
		{"unknown token", 0, secret + "x", "", EUNAUTHORIZED, clock.Add(time.Minute)},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		u, err := b.s.AuthenticateToken(ctx, st.secret)
		if ErrorCode(err) != st.wantCode {
			t.Fatalf("%s: AuthenticateToken = %v, want %q", st.name, err, st.wantCode)
		}
		if err == nil {
			want, err := b.s.User(ctx, st.wantUser)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(u, want) {
				t.Errorf("%s: AuthenticateToken = %+v, want %+v", st.name, u, want)
			}
		}
		if got := lastUsed(); got != formatTime(st.wantLast) {
			t.Errorf("%s: last_used_at = %s, want %s", st.name, got, formatTime(st.wantLast))
		}
	}
	if err := b.s.RevokeToken(ctx, b.ben, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.AuthenticateToken(ctx, secret); ErrorCode(err) != EUNAUTHORIZED || !strings.Contains(ErrorMessage(err), "revoked") {
		t.Errorf("revoked token: %v, want EUNAUTHORIZED saying it is revoked", err)
	}
}

// A live move writes only what a move changes; the row must be what the fold of the
// task's events gives, and an event out of order must be refused, changing nothing.
func TestLiveMoveProjection(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Moved", colToDo)
	b.mustCreate(t, "Neighbour", colInProgress)
	res, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: task.Version, ColumnID: colInProgress})
	if err != nil {
		t.Fatal(err)
	}
	got := b.task(t, task.ID)
	events, err := streamEvents(b.s.read, taskStream(task.ID))
	if err != nil {
		t.Fatal(err)
	}
	var folded *Task
	for _, e := range events {
		if folded, err = applyTask(folded, e.Event, e.payload); err != nil {
			t.Fatal(err)
		}
	}
	folded.Key = got.Key
	if !reflect.DeepEqual(got, folded) || !reflect.DeepEqual(got, res.Task) {
		t.Errorf("after a move the row is %+v\nfold of its events %+v\nresult %+v", got, folded, res.Task)
	}
	var history, activity int
	b.s.read.Get(&history, `SELECT COUNT(*) FROM task_history WHERE task_id = ? AND type = 'task.moved'`, task.ID)
	b.s.read.Get(&activity, `SELECT COUNT(*) FROM activity WHERE task_id = ? AND project_id = ? AND type = 'task.moved'`, task.ID, b.p.ID)
	if history != 1 || activity != 1 {
		t.Errorf("history %d, activity %d rows for the move; want 1 each", history, activity)
	}

	for _, tt := range []struct {
		name    string
		version int
		wantErr bool
	}{
		{"replayed version", got.Version, true},
		{"skipped version", got.Version + 2, true},
		{"older version", 1, true},
		{"next version", got.Version + 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := b.task(t, task.ID)
			tx, err := b.s.write.Beginx()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			e := Event{Seq: 1 << 40, Stream: taskStream(task.ID), Version: tt.version, Type: "task.moved", Actor: b.cleo, At: clockAfter(before)}
			err = project(tx, e, &TaskMoved{FromColumn: before.ColumnID, ToColumn: colDone, FromRank: before.Rank, ToRank: "zz"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("project move to version %d at %d = %v, want error %v", tt.version, before.Version, err, tt.wantErr)
			}
			after, err := loadTask(tx, task.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			if !tt.wantErr {
				want = before.clone()
				want.ColumnID, want.Rank, want.Version, want.UpdatedBy, want.UpdatedAt = colDone, "zz", tt.version, b.cleo, e.At
			}
			if !reflect.DeepEqual(after, want) {
				t.Errorf("row %+v, want %+v", after, want)
			}
		})
	}
}

func clockAfter(t *Task) time.Time { return t.UpdatedAt.Add(time.Hour) }

// A task command reads the task and the actor's role in one statement; the rule is
// requireRole's: members and admins may change tasks, a viewer is forbidden, and to
// anyone else the project does not exist.
func TestTaskCommandRoles(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Guarded", colToDo)
	version, moves := task.Version, 0
	for _, tt := range []struct {
		name, actor, taskID string
		wantCode            string
	}{
		{"admin", b.ana, task.ID, ""},
		{"member", b.ben, task.ID, ""},
		{"viewer", b.vic, task.ID, EFORBIDDEN},
		{"outsider", b.outsider, task.ID, ENOTFOUND},
		{"unknown task", b.ana, "no-such-task", ENOTFOUND},
	} {
		for _, cmd := range []struct {
			name string
			run  func() (*TaskResult, error)
		}{
			{"move", func() (*TaskResult, error) {
				return b.s.MoveTask(ctx, tt.actor, TaskMove{TaskID: tt.taskID, BaseVersion: version, ColumnID: []string{colInProgress, colToDo}[moves%2]})
			}},
			{"edit", func() (*TaskResult, error) {
				return b.s.UpdateTask(ctx, tt.actor, TaskUpdate{TaskID: tt.taskID, BaseVersion: version, Title: Some(tt.name + " edit")})
			}},
		} {
			res, err := cmd.run()
			if ErrorCode(err) != tt.wantCode {
				t.Errorf("%s by %s = %v, want %q", cmd.name, tt.name, err, tt.wantCode)
			}
			if err == nil {
				version = res.Task.Version
				if cmd.name == "move" {
					moves++
				}
			}
		}
	}
	if got := b.task(t, task.ID).Version; got != version || version != task.Version+4 {
		t.Errorf("task at version %d (tracked %d), want %d: refused commands must change nothing", got, version, task.Version+4)
	}
	var msg string
	if _, err := b.s.MoveTask(ctx, b.vic, TaskMove{TaskID: task.ID, BaseVersion: version, ColumnID: colDone}); err != nil {
		msg = ErrorMessage(err)
	}
	if !strings.Contains(msg, "(viewer)") || !strings.Contains(msg, "change tasks") {
		t.Errorf("viewer's refusal says %q", msg)
	}
}
