package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestCreateProject(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	ana := mustSeedUser(t, s, "Ana")
	p, err := s.CreateProject(ctx, ana, NewProject{Key: " tack ", Name: " Tack ",
		Columns: []Column{{Name: "Backlog"}, {Name: " Doing ", WIPLimit: 3}, {Name: "Done"}}})
	if err != nil {
		t.Fatal(err)
	}
	wantColumns := []Column{{ID: "c1", Name: "Backlog"}, {ID: "c2", Name: "Doing", WIPLimit: 3}, {ID: "c3", Name: "Done"}}
	if p.Key != "TACK" || p.Name != "Tack" || !reflect.DeepEqual(p.Columns, wantColumns) || p.Version != 2 {
		t.Errorf("created %+v; want key TACK, name Tack, columns %v, version 2", p, wantColumns)
	}
	members, err := s.Members(ctx, p.ID)
	if err != nil || len(members) != 1 || members[0].User.ID != ana || members[0].Role != RoleAdmin {
		t.Errorf("members = %+v, %v; want Ana as admin", members, err)
	}
	defaults, err := s.CreateProject(ctx, ana, NewProject{Key: "DEF", Name: "Defaults"})
	if err != nil {
		t.Fatal(err)
	}
	if len(defaults.Columns) != len(DefaultColumns()) || defaults.Columns[0].Name != "To Do" {
		t.Errorf("columns without a workflow = %v; want %v", defaults.Columns, DefaultColumns())
	}

	columns := func(names ...string) []Column {
		var out []Column
		for _, n := range names {
			out = append(out, Column{Name: n})
		}
		return out
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprint("Step ", i)
	}
	tests := []struct {
		name      string
		actor     string
		in        NewProject
		wantCode  string
		wantField string
	}{
		{"one-letter key", ana, NewProject{Key: "A", Name: "x"}, EINVALID, "key"},
		{"key starting with a digit", ana, NewProject{Key: "1AB", Name: "x"}, EINVALID, "key"},
		{"eleven-character key", ana, NewProject{Key: "ABCDEFGHIJK", Name: "x"}, EINVALID, "key"},
		{"key with a dash", ana, NewProject{Key: "AB-C", Name: "x"}, EINVALID, "key"},
		{"key with a non-ASCII letter", ana, NewProject{Key: "ÉTÉ", Name: "x"}, EINVALID, "key"},
		{"duplicate key, other case", ana, NewProject{Key: "Tack", Name: "x"}, EINVALID, "key"},
		{"empty name", ana, NewProject{Key: "NEW", Name: " "}, EINVALID, "name"},
		{"too long name", ana, NewProject{Key: "NEW", Name: strings.Repeat("n", 81)}, EINVALID, "name"},
		{"duplicate column names, other case", ana, NewProject{Key: "NEW", Name: "x", Columns: columns("Todo", "Doing", "todo")}, EINVALID, "columns"},
		{"empty column name", ana, NewProject{Key: "NEW", Name: "x", Columns: columns("Todo", " ")}, EINVALID, "columns"},
		{"too long column name", ana, NewProject{Key: "NEW", Name: "x", Columns: columns(strings.Repeat("c", 41))}, EINVALID, "columns"},
		{"negative WIP limit", ana, NewProject{Key: "NEW", Name: "x", Columns: []Column{{Name: "Todo"}, {Name: "Doing", WIPLimit: -1}}}, EINVALID, "columns"},
		{"21 columns", ana, NewProject{Key: "NEW", Name: "x", Columns: columns(many...)}, EINVALID, "columns"},
		{"unknown user", "nobody", NewProject{Key: "NEW", Name: "x"}, EUNAUTHORIZED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, s)

			p, err := s.CreateProject(ctx, tt.actor, tt.in)

			var e *Error
			if !errors.As(err, &e) || e.Code != tt.wantCode || e.Field != tt.wantField {
				t.Fatalf("CreateProject = %v, %v; want %s on %q", p, err, tt.wantCode, tt.wantField)
			}
			if got := eventCount(t, s); got != before {
				t.Errorf("log grew by %d events", got-before)
			}
		})
	}
}

func TestSuggestKey(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Mobile App", "MA"},
		{"Mobile", "MOB"},
		{"  mobile   app  ", "MA"},
		{"Customer Support Portal for Europe and Asia", "CSPF"},
		{"Web 2 Launch", "W2L"},
		{"2024 Roadmap", "ROA"},
		{"2024 Big Roadmap", "BR"},
		{"Q3-planning", "QP"},
		{"Ops", "OPS"},
		{"Go", "GO"},
		{"Straße", "SE"},
		{"Été à Paris", "TP"},
		{"X", ""},
		{"日本語", ""},
		{"1234", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SuggestKey(tt.name); got != tt.want {
			t.Errorf("SuggestKey(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got := SuggestKey(tt.name); got != "" && !projectKeyRE.MatchString(got) {
			t.Errorf("SuggestKey(%q) = %q, not a valid key", tt.name, got)
		}
	}
}

func TestCreateProjectSuggestsKey(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	ana := mustSeedUser(t, s, "Ana")
	create := func(key, name string) (*Project, error) {
		return s.CreateProject(ctx, ana, NewProject{Key: key, Name: name})
	}

	// A blank key is suggested from the name and made unique with a digit.
	for _, want := range []string{"MA", "MA2", "MA3"} {
		p, err := create(" ", "Mobile App")
		if err != nil {
			t.Fatalf("create Mobile App without a key: %v", err)
		}
		if p.Key != want {
			t.Errorf("blank key for Mobile App = %s, want %s", p.Key, want)
		}
	}
	// A typed key that is taken is refused, never bumped.
	if _, err := create("ma", "Marketing Analytics"); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "MA is already taken") {
		t.Errorf("typed key MA, taken: %v; want EINVALID naming MA", err)
	}
	// A typed key is still checked, a suggestion does not rescue it.
	if _, err := create("1MA", "Mobile App"); ErrorCode(err) != EINVALID {
		t.Errorf("typed key 1MA: %v; want EINVALID", err)
	}
	// A long key keeps within 10 characters when a digit is added.
	if _, err := create("ABCDEFGHIJ", "Long"); err != nil {
		t.Fatal(err)
	}
	key, err := freeKey("ABCDEFGHIJ", func(k string) (bool, error) { return k == "ABCDEFGHIJ", nil })
	if err != nil || key != "ABCDEFGHI2" {
		t.Errorf("freeKey(ABCDEFGHIJ) = %q, %v; want ABCDEFGHI2", key, err)
	}

	// Names no key can be made from ask for a key; a blank name asks for a name first.
	for _, tt := range []struct{ name, field string }{{"日本語", "key"}, {"X", "key"}, {" ", "name"}} {
		before := eventCount(t, s)
		_, err := create("", tt.name)
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || e.Field != tt.field {
			t.Errorf("blank key, name %q: %v; want EINVALID on %s", tt.name, err, tt.field)
		}
		if got := eventCount(t, s); got != before {
			t.Errorf("blank key, name %q: log grew by %d events", tt.name, got-before)
		}
	}

	// The projects were created with the keys suggested, nothing else.
	projects, err := s.ProjectsFor(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range projects {
		keys = append(keys, p.Key)
	}
	if want := []string{"ABCDEFGHIJ", "MA", "MA2", "MA3"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("projects = %v, want %v", keys, want)
	}
}

func TestProjectAccess(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	ops, err := b.s.CreateProject(ctx, b.ben, NewProject{Key: "OPS", Name: "Operations"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.s.AddMember(ctx, b.ben, ops.ID, "vic@test.tack", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	task := b.mustCreate(t, "Counted", colToDo)
	b.mustCreate(t, "Archived, not counted", colToDo)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}

	t.Run("ProjectFor", func(t *testing.T) {
		tests := []struct {
			user, key string
			wantRole  Role
			wantCode  string
		}{
			{b.ana, "TACK", RoleAdmin, ""},
			{b.ben, "tack", RoleMember, ""},
			{b.vic, "Tack", RoleViewer, ""},
			{b.vic, "OPS", RoleAdmin, ""},
			{b.outsider, "TACK", "", ENOTFOUND},
			{b.ana, "OPS", "", ENOTFOUND},
			{b.ana, "NOPE", "", ENOTFOUND},
		}
		for _, tt := range tests {
			p, role, err := b.s.ProjectFor(ctx, tt.user, tt.key)
			if ErrorCode(err) != tt.wantCode || role != tt.wantRole {
				t.Errorf("ProjectFor(%s) = %s, %v; want %q, %q", tt.key, role, err, tt.wantRole, tt.wantCode)
				continue
			}
			if err == nil && p.Key != strings.ToUpper(tt.key) {
				t.Errorf("ProjectFor(%s) = %s", tt.key, p.Key)
			}
		}
		// A non-member learns nothing more than about a project that does not exist.
		_, _, hidden := b.s.ProjectFor(ctx, b.outsider, "TACK")
		_, _, missing := b.s.ProjectFor(ctx, b.outsider, "NOPE")
		if strings.Replace(ErrorMessage(hidden), "TACK", "NOPE", 1) != ErrorMessage(missing) {
			t.Errorf("messages differ: %q vs %q", ErrorMessage(hidden), ErrorMessage(missing))
		}
	})

	t.Run("ProjectsFor", func(t *testing.T) {
		tests := []struct {
			user string
			want string
		}{
			{b.ana, "TACK admin 1"},
			{b.ben, "OPS admin 0, TACK member 1"},
			{b.vic, "OPS admin 0, TACK viewer 1"},
			{b.outsider, ""},
		}
		for _, tt := range tests {
			list, err := b.s.ProjectsFor(ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range list {
				got = append(got, fmt.Sprintf("%s %s %d", p.Key, p.Role, p.TaskCount))
			}
			if strings.Join(got, ", ") != tt.want {
				t.Errorf("ProjectsFor = %q, want %q", strings.Join(got, ", "), tt.want)
			}
		}
	})
}

func TestMembership(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		given     func(b *board) error
		do        func(b *board) error
		wantCode  string
		wantField string
		wantRoles string // the project's members afterwards, by name
	}{
		{
			name:      "admin adds a user by email, any case",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.ana, b.p.ID, " OLGA@test.tack", RoleMember) },
			wantRoles: "Ana admin, Ben member, Cleo member, Olga member, Vic viewer",
		},
		{
			name:      "member cannot add",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.ben, b.p.ID, "olga@test.tack", RoleMember) },
			wantCode:  EFORBIDDEN,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "viewer cannot add",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.vic, b.p.ID, "olga@test.tack", RoleViewer) },
			wantCode:  EFORBIDDEN,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "non-member cannot add, not even themselves",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.outsider, b.p.ID, "olga@test.tack", RoleAdmin) },
			wantCode:  ENOTFOUND,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "unknown email",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.ana, b.p.ID, "zed@test.tack", RoleMember) },
			wantCode:  EINVALID,
			wantField: "email",
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "already a member",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.ana, b.p.ID, "ben@test.tack", RoleAdmin) },
			wantCode:  EINVALID,
			wantField: "email",
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "unknown role",
			do:        func(b *board) error { return b.s.AddMember(ctx, b.ana, b.p.ID, "olga@test.tack", "owner") },
			wantCode:  EINVALID,
			wantField: "role",
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "admin changes a role",
			do:        func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.vic, RoleMember) },
			wantRoles: "Ana admin, Ben member, Cleo member, Vic member",
		},
		{
			name:      "member cannot change roles, not even their own",
			do:        func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ben, b.p.ID, b.ben, RoleAdmin) },
			wantCode:  EFORBIDDEN,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "changing a non-member's role",
			do:        func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.outsider, RoleMember) },
			wantCode:  ENOTFOUND,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "the last admin cannot be demoted",
			do:        func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ana, RoleMember) },
			wantCode:  EINVALID,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "an admin can step down once there is another",
			given:     func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ben, RoleAdmin) },
			do:        func(b *board) error { return b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ana, RoleViewer) },
			wantRoles: "Ana viewer, Ben admin, Cleo member, Vic viewer",
		},
		{
			name:      "admin removes a member",
			do:        func(b *board) error { return b.s.RemoveMember(ctx, b.ana, b.p.ID, b.cleo) },
			wantRoles: "Ana admin, Ben member, Vic viewer",
		},
		{
			name:      "member cannot remove",
			do:        func(b *board) error { return b.s.RemoveMember(ctx, b.ben, b.p.ID, b.cleo) },
			wantCode:  EFORBIDDEN,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name:      "the last admin cannot be removed",
			do:        func(b *board) error { return b.s.RemoveMember(ctx, b.ana, b.p.ID, b.ana) },
			wantCode:  EINVALID,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
		{
			name: "a member with open tasks cannot be removed",
			given: func(b *board) error {
				_, err := b.s.CreateTask(ctx, b.ana, NewTask{ProjectID: b.p.ID, Title: "Cleo's", AssigneeID: b.cleo})
				return err
			},
			do:        func(b *board) error { return b.s.RemoveMember(ctx, b.ana, b.p.ID, b.cleo) },
			wantCode:  EINVALID,
			wantRoles: "Ana admin, Ben member, Cleo member, Vic viewer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBoard(t)
			if tt.given != nil {
				if err := tt.given(b); err != nil {
					t.Fatalf("given: %v", err)
				}
			}
			before := eventCount(t, b.s)

			err := tt.do(b)

			if ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v (code %q); want %q", err, ErrorCode(err), tt.wantCode)
			}
			var e *Error
			if tt.wantField != "" && (!errors.As(err, &e) || e.Field != tt.wantField) {
				t.Errorf("err = %v; want one on field %q", err, tt.wantField)
			}
			if got := membersByName(t, b); got != tt.wantRoles {
				t.Errorf("members = %q\nwant      %q", got, tt.wantRoles)
			}
			if got := eventCount(t, b.s); tt.wantCode != "" && got != before {
				t.Errorf("log grew by %d events on a refused command", got-before)
			}
			got, err := b.s.project(ctx, b.s.read, b.p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != projectVersion(t, b) {
				t.Errorf("project version %d, its stream at %d", got.Version, projectVersion(t, b))
			}
			if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
				t.Errorf("replay: %v\n%s", err, rep)
			}
		})
	}

	t.Run("a removed member loses access, a promoted viewer gains it", func(t *testing.T) {
		b := mustBoard(t)
		if err := b.s.RemoveMember(ctx, b.ana, b.p.ID, b.ben); err != nil {
			t.Fatal(err)
		}
		if _, err := b.s.CreateTask(ctx, b.ben, NewTask{ProjectID: b.p.ID, Title: "x"}); ErrorCode(err) != ENOTFOUND {
			t.Errorf("removed member creates: %v; want %s", err, ENOTFOUND)
		}
		if _, err := b.s.CreateTask(ctx, b.vic, NewTask{ProjectID: b.p.ID, Title: "x"}); ErrorCode(err) != EFORBIDDEN {
			t.Errorf("viewer creates: %v; want %s", err, EFORBIDDEN)
		}
		if err := b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.vic, RoleMember); err != nil {
			t.Fatal(err)
		}
		if _, err := b.s.CreateTask(ctx, b.vic, NewTask{ProjectID: b.p.ID, Title: "x"}); err != nil {
			t.Errorf("promoted viewer creates: %v", err)
		}
		history, err := b.s.Activity(ctx, b.p, 0, 2)
		if err != nil || len(history) != 2 {
			t.Fatalf("activity = %v, %v", history, err)
		}
		if history[1].Text != "made Vic member (was viewer)" {
			t.Errorf("activity = %q", history[1].Text)
		}
	})
}

func membersByName(t *testing.T, b *board) string {
	t.Helper()
	members, err := b.s.Members(context.Background(), b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range members {
		out = append(out, fmt.Sprintf("%s %s", m.User.Name, m.Role))
	}
	return strings.Join(out, ", ")
}

func projectVersion(t *testing.T, b *board) int {
	t.Helper()
	v, err := streamVersion(b.s.read, projectStream(b.p.ID))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
