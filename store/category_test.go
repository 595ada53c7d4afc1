package store

import "testing"

func TestProjectCategory(t *testing.T) {
	four := []Column{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	wontDo := []Column{{ID: "a"}, {ID: "b", Category: CategoryDone}, {ID: "c", Category: CategoryDone, Name: "Won't do"}}
	tests := []struct {
		name    string
		columns []Column
		column  string
		want    Category
	}{
		{"first column defaults to to do", four, "a", CategoryToDo},
		{"middle column defaults to in progress", four, "b", CategoryInProgress},
		{"another middle column", four, "c", CategoryInProgress},
		{"last column defaults to done", four, "d", CategoryDone},
		{"one column is to do", []Column{{ID: "a"}}, "a", CategoryToDo},
		{"two columns: the second is done", []Column{{ID: "a"}, {ID: "b"}}, "b", CategoryDone},
		{"a set category wins over the place", wontDo, "b", CategoryDone},
		{"a last column marked done", wontDo, "c", CategoryDone},
		{"a middle column marked to do", []Column{{ID: "a"}, {ID: "b", Category: CategoryToDo}, {ID: "c"}}, "b", CategoryToDo},
		{"an unknown column is to do", four, "zz", CategoryToDo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Project{Columns: tt.columns}
			if got := p.Category(tt.column); got != tt.want {
				t.Errorf("Category(%q) = %q, want %q", tt.column, got, tt.want)
			}
			if got := p.Done(tt.column); got != (tt.want == CategoryDone) {
				t.Errorf("Done(%q) = %v, want %v", tt.column, got, tt.want == CategoryDone)
			}
		})
	}
}
