package store

// The JSON API's task list filters by sprint (TaskQuery.Sprint), like the board's
// TaskFilter.Sprint. Written by the API engineer; the sprint engineer may fold it into
// the sprint queries.

// sprintCondition is the SQL condition on tasks t, with its arguments, of a sprint
// filter: "" any (no condition), "active" the project's active sprint(s), "none" no
// sprint, else a sprint id.
func sprintCondition(projectID, sprint string) (string, []any) {
	switch sprint {
	case "":
		return "", nil
	case "active":
		return "t.sprint_id IN (SELECT id FROM sprints WHERE project_id = ? AND state = 'active')", []any{projectID}
	case "none":
		return "t.sprint_id = ''", nil
	}
	return "t.sprint_id = ?", []any{sprint}
}
