package views

import "github.com/tack-pm/tack/store"

// MyWorkView is the My work page's data.
type MyWorkView struct {
	// Projects are all the user's projects: the page listens to each one's changes.
	Projects []*store.Project
	Groups   []MyWorkGroup
}

// MyWorkGroup is one project's tasks assigned to the user, by status.
type MyWorkGroup struct {
	Project  *store.Project
	Statuses []MyWorkStatus
}

// MyWorkStatus is the user's tasks in one column of a project's workflow.
type MyWorkStatus struct {
	Name  string
	Tasks []*store.Task
}

// NewMyWorkView groups tasks, ordered by project and workflow order, by project and
// status; projects without tasks are left out of the groups.
func NewMyWorkView(projects []*store.Project, tasks []*store.Task) MyWorkView {
	v := MyWorkView{Projects: projects}
	byID := map[string]*store.Project{}
	for _, p := range projects {
		byID[p.ID] = p
	}
	for _, t := range tasks {
		p := byID[t.ProjectID]
		if p == nil {
			continue
		}
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Project != p {
			v.Groups = append(v.Groups, MyWorkGroup{Project: p})
		}
		g := &v.Groups[len(v.Groups)-1]
		name := p.ColumnName(t.ColumnID)
		if n := len(g.Statuses); n == 0 || g.Statuses[n-1].Name != name {
			g.Statuses = append(g.Statuses, MyWorkStatus{Name: name})
		}
		s := &g.Statuses[len(g.Statuses)-1]
		s.Tasks = append(s.Tasks, t)
	}
	return v
}
