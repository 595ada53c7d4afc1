package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var projectKeyRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)

// NewProject is the input for creating a project.
type NewProject struct {
	Key     string
	Name    string
	Columns []Column // names and WIP limits; ids are assigned
}

// DefaultColumns is the workflow a project gets when none is given.
func DefaultColumns() []Column {
	return []Column{{Name: "To Do"}, {Name: "In Progress"}, {Name: "In Review"}, {Name: "Done"}}
}

// keyWordRE finds the words of a project name that a key can be made from.
var keyWordRE = regexp.MustCompile(`[A-Za-z0-9]+`)

// SuggestKey derives a project key from a project name: the initials of its words, at
// most four ("Mobile App" → "MA"), or the first three characters of a one-word name
// ("Mobile" → "MOB"). Only ASCII letters and digits count and the key starts with a
// letter; it is "" when the name has too few of them ("日本", "X"). It does not check
// that the key is free: CreateProject adds a digit when it is taken.
// static/js/project-key.js makes the same suggestion in the browser.
func SuggestKey(name string) string {
	// Words are found before upper-casing: some letters upper-case to ASCII ones
	// (ſ → S) or to two letters (ß → SS), which the browser's script would see differently.
	words := keyWordRE.FindAllString(name, -1)
	noLeadingDigits := func(s string) string { return strings.TrimLeft(strings.ToUpper(s), "0123456789") }
	var initials strings.Builder
	for _, w := range words {
		initials.WriteByte(w[0])
	}
	key := noLeadingDigits(initials.String())
	if len(words) < 2 || len(key) < 2 {
		key = noLeadingDigits(strings.Join(words, ""))
		key = key[:min(3, len(key))]
	}
	key = key[:min(4, len(key))]
	if len(key) < 2 {
		return ""
	}
	return key
}

// normalize checks the input and reports whether the key was left blank and suggested
// from the name (so that CreateProject makes it unique rather than refusing it).
func (in *NewProject) normalize() (suggested bool, err error) {
	in.Key = strings.ToUpper(strings.TrimSpace(in.Key))
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return false, invalidField("name", "Enter a project name.")
	}
	if utf8.RuneCountInString(in.Name) > 80 {
		return false, invalidField("name", "Project name is too long (80 characters at most).")
	}
	if in.Key == "" {
		if in.Key = SuggestKey(in.Name); in.Key == "" {
			return false, invalidField("key", "Type a key: none can be made from this name. A key is 2 to 10 letters or digits, starting with a letter (like DEMO).")
		}
		suggested = true
	}
	// A suggested key passes the same check as a typed one.
	if !projectKeyRE.MatchString(in.Key) {
		return false, invalidField("key", "Key must be 2 to 10 letters or digits, starting with a letter (like DEMO).")
	}
	if len(in.Columns) == 0 {
		in.Columns = DefaultColumns()
	}
	if err := validateColumns(in.Columns); err != nil {
		return false, err
	}
	for i := range in.Columns {
		in.Columns[i].ID = fmt.Sprintf("c%d", i+1)
	}
	return suggested, nil
}

// CreateProject creates a project with actor as its first admin. A blank key is
// suggested from the name (SuggestKey) with a digit added when it is taken: "MA", then
// "MA2", "MA3"; a key that was typed must be free.
func (s *Store) CreateProject(ctx context.Context, actor string, in NewProject) (*Project, error) {
	suggested, err := in.normalize()
	if err != nil {
		return nil, err
	}
	id := newID()
	_, err = s.writeTx(ctx, func(w *writer) error {
		taken := func(key string) (bool, error) {
			var n int
			if err := w.tx.Get(&n, `SELECT COUNT(*) FROM projects WHERE key = ?`, key); err != nil {
				return false, fmt.Errorf("store: create project: %w", err)
			}
			return n > 0, nil
		}
		key := in.Key
		if suggested {
			var err error
			if key, err = freeKey(in.Key, taken); err != nil {
				return err
			}
		} else if t, err := taken(key); err != nil {
			return err
		} else if t {
			return invalidField("key", "Project key %s is already taken.", key)
		}
		var n int
		if err := w.tx.Get(&n, `SELECT COUNT(*) FROM users WHERE id = ?`, actor); err != nil || n == 0 {
			return Errorf(EUNAUTHORIZED, "Sign in to create a project.")
		}
		_, err := w.append(projectStream(id), 0, actor,
			&ProjectCreated{Key: key, Name: in.Name, Columns: in.Columns},
			&MemberAdded{UserID: actor, Role: RoleAdmin})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.project(ctx, s.read, id)
}

// freeKey returns base, or when it is taken base with the smallest number from 2 up
// that makes it free, shortened to stay within 10 characters.
func freeKey(base string, taken func(string) (bool, error)) (string, error) {
	for i := 1; i <= 1000; i++ {
		key := base
		if i > 1 {
			n := strconv.Itoa(i)
			key = base[:min(len(base), 10-len(n))] + n
		}
		if !projectKeyRE.MatchString(key) {
			break
		}
		t, err := taken(key)
		if err != nil {
			return "", err
		}
		if !t {
			return key, nil
		}
	}
	return "", invalidField("key", "Keys like %s are all taken: type another one.", base)
}

// ProjectSummary is a project as listed for one user, with that user's role.
type ProjectSummary struct {
	Project
	Role      Role `db:"role"`
	TaskCount int  `db:"task_count"`
}

// ProjectsFor lists the projects user is a member of, by key.
func (s *Store) ProjectsFor(ctx context.Context, userID string) ([]ProjectSummary, error) {
	var rows []struct {
		ID        string `db:"id"`
		Key       string `db:"key"`
		Name      string `db:"name"`
		Role      Role   `db:"role"`
		TaskCount int    `db:"task_count"`
	}
	err := s.read.SelectContext(ctx, &rows, `
		SELECT p.id, p.key, p.name, m.role,
			(SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND NOT t.archived) AS task_count
		FROM projects p JOIN members m ON m.project_id = p.id AND m.user_id = ?
		ORDER BY p.key`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list projects: %w", err)
	}
	out := make([]ProjectSummary, 0, len(rows))
	for _, r := range rows {
		out = append(out, ProjectSummary{Project: Project{ID: r.ID, Key: r.Key, Name: r.Name}, Role: r.Role, TaskCount: r.TaskCount})
	}
	return out, nil
}

// ProjectFor returns the project with this key and user's role in it. A user who is not
// a member gets ENOTFOUND, exactly as if the project did not exist.
func (s *Store) ProjectFor(ctx context.Context, userID, key string) (*Project, Role, error) {
	key = strings.ToUpper(key)
	// One statement, so one snapshot: the project, the caller's role now (a removed
	// member finds nothing, a changed role applies at once) and the workflow, a row per
	// column. It runs on every request under /projects/:key and the API's project routes.
	rows, err := s.read.QueryContext(ctx, `SELECT p.id, p.key, p.name, p.created_at, p.version, p.parallel_sprints, p.day_minutes, p.week_days, p.time_zone, p.work_weekdays, p.holidays, m.role,
			c.id, c.name, c.wip_limit, c.category
		FROM projects p JOIN members m ON m.project_id = p.id AND m.user_id = ?
		LEFT JOIN columns c ON c.project_id = p.id
		WHERE p.key = ? ORDER BY c.position`, userID, key)
	if err != nil {
		return nil, "", fmt.Errorf("store: project %s: %w", key, err)
	}
	defer rows.Close()
	var p *Project
	var role Role
	for rows.Next() {
		var r struct {
			id, key, name, createdAt string
			version                  int
			parallel                 bool
			dayMinutes, weekDays     int
			zone, holidays           string
			workWeekdays             int
			colID, colName, category sql.NullString
			wip                      sql.NullInt64
		}
		if err := rows.Scan(&r.id, &r.key, &r.name, &r.createdAt, &r.version, &r.parallel, &r.dayMinutes, &r.weekDays, &r.zone, &r.workWeekdays, &r.holidays, &role, &r.colID, &r.colName, &r.wip, &r.category); err != nil {
			return nil, "", fmt.Errorf("store: project %s: %w", key, err)
		}
		if p == nil {
			p = &Project{ID: r.id, Key: r.key, Name: r.name, Version: r.version, ParallelSprints: r.parallel,
				DayMinutes: r.dayMinutes, WeekDays: r.weekDays,
				TimeZone: r.zone, WorkWeekdays: r.workWeekdays, Holidays: parseHolidays(r.holidays)}
			if p.CreatedAt, err = parseTime(r.createdAt); err != nil {
				return nil, "", err
			}
		}
		if r.colID.Valid {
			p.Columns = append(p.Columns, Column{ID: r.colID.String, Name: r.colName.String, WIPLimit: int(r.wip.Int64),
				Category: Category(r.category.String)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: project %s: %w", key, err)
	}
	if p == nil {
		return nil, "", Errorf(ENOTFOUND, "No project %s.", key)
	}
	return p, role, nil
}

// Project returns the project with the given id. It checks no membership: callers
// that act for a user use ProjectFor.
func (s *Store) Project(ctx context.Context, id string) (*Project, error) {
	return s.project(ctx, s.read, id)
}

func (s *Store) project(ctx context.Context, q queryer, id string) (*Project, error) {
	var r struct {
		ID        string `db:"id"`
		Key       string `db:"key"`
		Name      string `db:"name"`
		CreatedAt string `db:"created_at"`
		Version   int    `db:"version"`
		Parallel  bool   `db:"parallel_sprints"`
		Day       int    `db:"day_minutes"`
		Week      int    `db:"week_days"`
		Zone      string `db:"time_zone"`
		Weekdays  int    `db:"work_weekdays"`
		Holidays  string `db:"holidays"`
	}
	if err := q.GetContext(ctx, &r, `SELECT id, key, name, created_at, version, parallel_sprints, day_minutes, week_days, time_zone, work_weekdays, holidays FROM projects WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "project %s", id)
	}
	p := &Project{ID: r.ID, Key: r.Key, Name: r.Name, Version: r.Version, ParallelSprints: r.Parallel, DayMinutes: r.Day, WeekDays: r.Week,
		TimeZone: r.Zone, WorkWeekdays: r.Weekdays, Holidays: parseHolidays(r.Holidays)}
	var err error
	if p.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if err := q.SelectContext(ctx, &p.Columns, `SELECT id, name, wip_limit, category FROM columns WHERE project_id = ? ORDER BY position`, id); err != nil {
		return nil, fmt.Errorf("store: columns of %s: %w", r.Key, err)
	}
	return p, nil
}

// queryer is what both a pool and a transaction offer for reads.
type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Members lists a project's members by name.
func (s *Store) Members(ctx context.Context, projectID string) ([]Member, error) {
	var rows []struct {
		userRow
		Role    Role   `db:"role"`
		AddedAt string `db:"added_at"`
	}
	err := s.read.SelectContext(ctx, &rows, `SELECT u.id, u.email, u.name, u.created_at, m.role, m.added_at
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY u.name, u.email`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		u, err := r.user()
		if err != nil {
			return nil, err
		}
		at, err := parseTime(r.AddedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, Member{User: *u, Role: r.Role, AddedAt: at})
	}
	return out, nil
}

// roleIn returns user's role in the project inside a transaction; ENOTFOUND if none.
func roleIn(q sqlxGetter, projectID, userID string) (Role, error) {
	var role Role
	if err := q.Get(&role, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, projectID, userID); err != nil {
		return "", notFound(err, "No such project.")
	}
	return role, nil
}

type sqlxGetter interface {
	Get(dest any, query string, args ...any) error
}

// requireRole checks that actor may act on the project: non-members get ENOTFOUND, and
// members whose role lacks the right get EFORBIDDEN.
func requireRole(q sqlxGetter, projectID, actor string, ok func(Role) bool, what string) (Role, error) {
	role, err := roleIn(q, projectID, actor)
	if err != nil {
		return "", err
	}
	return role, allowRole(role, ok, what)
}

// allowRole is requireRole's judgement on a role already read: EFORBIDDEN when the
// role does not allow what.
func allowRole(role Role, ok func(Role) bool, what string) error {
	if !ok(role) {
		return Errorf(EFORBIDDEN, "Your role in this project (%s) does not allow you to %s.", role, what)
	}
	return nil
}

// AddMember adds the user with this email to the project with a role; admins only.
func (s *Store) AddMember(ctx context.Context, actor, projectID, email string, role Role) error {
	if !validRole(role) {
		return invalidField("role", "Choose a role: admin, member or viewer.")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	_, err := s.writeTx(ctx, func(w *writer) error {
		// Check the actor first, so that only admins learn which emails have accounts.
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "manage members"); err != nil {
			return err
		}
		var u userRow
		if err := w.tx.Get(&u, `SELECT id, email, name, created_at FROM users WHERE email = ?`, email); err != nil {
			if ErrorCode(notFound(err, "user")) == ENOTFOUND {
				return invalidField("email", "No account uses %s; ask them to sign up first.", email)
			}
			return fmt.Errorf("store: add member: %w", err)
		}
		if _, err := roleIn(w.tx, projectID, u.ID); err == nil {
			return invalidField("email", "%s is already a member.", u.Name)
		}
		_, err := w.appendLatest(projectStream(projectID), actor, &MemberAdded{UserID: u.ID, Role: role})
		return err
	})
	return err
}

// ChangeMemberRole gives a member another role; admins only. The last admin stays admin.
func (s *Store) ChangeMemberRole(ctx context.Context, actor, projectID, userID string, role Role) error {
	if !validRole(role) {
		return invalidField("role", "Choose a role: admin, member or viewer.")
	}
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "manage members"); err != nil {
			return err
		}
		old, err := roleIn(w.tx, projectID, userID)
		if err != nil {
			return err
		}
		if old == role {
			return nil
		}
		if err := keepAnAdmin(w, projectID, old); err != nil {
			return err
		}
		_, err = w.appendLatest(projectStream(projectID), actor, &MemberRoleChanged{UserID: userID, From: old, To: role})
		return err
	})
	return err
}

// RemoveMember removes a member from the project; admins only. The last admin stays.
func (s *Store) RemoveMember(ctx context.Context, actor, projectID, userID string) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "manage members"); err != nil {
			return err
		}
		old, err := roleIn(w.tx, projectID, userID)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(w, projectID, old); err != nil {
			return err
		}
		var assigned int
		if err := w.tx.Get(&assigned, `SELECT COUNT(*) FROM tasks WHERE project_id = ? AND assignee_id = ? AND NOT archived`, projectID, userID); err != nil {
			return fmt.Errorf("store: remove member: %w", err)
		}
		if assigned > 0 {
			return Errorf(EINVALID, "This member is assigned to %d open task(s); reassign them first.", assigned)
		}
		_, err = w.appendLatest(projectStream(projectID), actor, &MemberRemoved{UserID: userID, Role: old})
		return err
	})
	return err
}

func keepAnAdmin(w *writer, projectID string, oldRole Role) error {
	if oldRole != RoleAdmin {
		return nil
	}
	var admins int
	if err := w.tx.Get(&admins, `SELECT COUNT(*) FROM members WHERE project_id = ? AND role = 'admin'`, projectID); err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	if admins <= 1 {
		return Errorf(EINVALID, "A project needs at least one admin; make someone else admin first.")
	}
	return nil
}

func validRole(r Role) bool { return r == RoleAdmin || r == RoleMember || r == RoleViewer }

// ChangeWorkflow gives a project a new workflow; admins only. columns is the workflow
// as the user edited it from the one at baseVersion (the project version the form was
// loaded at): columns with an ID keep it (renamed, re-limited or moved), columns without
// are new. What others changed since baseVersion is kept (judgeWorkflow); when the user
// changed the same attribute differently nothing is applied, the attempt is recorded in
// the project's conflict stream and a *WorkflowConflictError says what clashed. A column
// that holds tasks cannot be removed: move or archive them first. A column without a
// category keeps the one it had; the saved workflow has every category set and at least
// one column marked done. Nothing is recorded when nothing changes.
func (s *Store) ChangeWorkflow(ctx context.Context, actor, projectID string, baseVersion int, columns []Column) error {
	mine := slices.Clone(columns)
	if err := validateColumns(mine); err != nil {
		return err
	}
	var conflict *WorkflowConflictError
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "change the workflow"); err != nil {
			return err
		}
		events, err := streamEvents(w.tx, projectStream(projectID))
		if err != nil {
			return err
		}
		version := 0
		if len(events) > 0 {
			version = events[len(events)-1].Version
		}
		if baseVersion < 1 || baseVersion > version {
			return invalidField("columns", "This workflow form is from an unknown version (%d). Reload the page and try again.", baseVersion)
		}
		base, _ := workflowAt(events, baseVersion)
		current, maxNumber := workflowAt(events, 0)
		known, kept := byID(base), map[string]bool{}
		for _, c := range mine {
			switch {
			case c.ID == "":
				continue
			case known[c.ID].ID == "":
				return invalidField("columns", "Column %q is not part of this workflow.", c.ID)
			case kept[c.ID]:
				return invalidField("columns", "Column %q appears twice.", c.Name)
			}
			kept[c.ID] = true
		}
		merged, conflicts := judgeWorkflow(base, current, mine)
		if len(conflicts) > 0 {
			since := slices.DeleteFunc(slices.Clone(events), func(e decodedEvent) bool { return e.Version <= baseVersion })
			attributeConflicts(conflicts, since)
			conflict = &WorkflowConflictError{ProjectID: projectID, BaseVersion: baseVersion, CurrentVersion: version,
				Conflicts: conflicts, Current: current, Mine: merged}
			_, err = w.appendLatest(workflowConflictStream(projectID), actor,
				&WorkflowConflicted{BaseVersion: baseVersion, CurrentVersion: version, Conflicts: conflicts})
			return err
		}
		if err := cmp.Or(validateColumns(merged), requireDone(merged)); err != nil {
			var e *Error
			if errors.As(err, &e) && baseVersion < version {
				e.Message += " (after merging the changes others made since you opened this page)"
			}
			return err
		}
		// Ids are never reused, so a stale form cannot mistake a new column for a removed one.
		for i := range merged {
			if merged[i].ID == "" {
				maxNumber++
				merged[i].ID = fmt.Sprintf("c%d", maxNumber)
			}
		}
		if err := refuseRemovingNonEmpty(w, projectID, current, merged); err != nil {
			return err
		}
		// A workflow saved before categories existed has none set: setting the ones it
		// already takes effect with is no change.
		if slices.Equal(withCategories(current), merged) {
			return nil
		}
		_, err = w.append(projectStream(projectID), version, actor, &WorkflowChanged{From: current, To: merged})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: change workflow: %w", err)
	}
	if conflict != nil {
		return conflict
	}
	return nil
}

// refuseRemovingNonEmpty refuses a workflow that drops a column still holding tasks.
func refuseRemovingNonEmpty(w *writer, projectID string, current, next []Column) error {
	keep := byID(next)
	for _, c := range current {
		if _, ok := keep[c.ID]; ok {
			continue
		}
		var n int
		if err := w.tx.Get(&n, `SELECT COUNT(*) FROM tasks WHERE project_id = ? AND column_id = ?`, projectID, c.ID); err != nil {
			return fmt.Errorf("store: workflow: %w", err)
		}
		if n > 0 {
			return invalidField("columns", "Column %q still holds %d task(s) (archived ones included); move them before removing it.", c.Name, n)
		}
	}
	return nil
}
