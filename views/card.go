package views

import (
	"hash/fnv"
	"strconv"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// A board draws hundreds of cards: the strings a card needs for its type, priority and
// assignee are computed once per value here rather than once per card.

// cardIcon is what a card shows for its type or priority: the icon's classes, its
// name for screen readers and tooltips, for priorities the arrow, and the icon
// itself, written once per value (escaped here like templ would) rather than once per
// card.
type cardIcon struct {
	Class, Name, Glyph string
	Icon               templ.Component
}

// withIcon returns c with its icon: <i class="..." role="img" title="...">glyph</i>.
func (c cardIcon) withIcon() cardIcon {
	c.Icon = templ.Raw(`<i class="` + templ.EscapeString(c.Class) + `" role="img" title="` + templ.EscapeString(c.Name) + `">` +
		templ.EscapeString(c.Glyph) + `</i>`)
	return c
}

var cardTypes, cardPriorities = func() (map[store.TaskType]cardIcon, map[store.Priority]cardIcon) {
	types := map[store.TaskType]cardIcon{}
	for _, t := range store.TaskTypes {
		types[t] = typeIcon(t)
	}
	prios := map[store.Priority]cardIcon{}
	for _, p := range store.Priorities {
		prios[p] = priorityIcon(p)
	}
	return types, prios
}()

// On cards the icons have one short class each ("ty-story", "pr-high"); the stylesheet
// gives them the looks of TypeIcon's and PriorityIcon's.
func typeIcon(t store.TaskType) cardIcon {
	return cardIcon{Class: "ty-" + string(t), Name: Title(string(t))}.withIcon()
}

func priorityIcon(p store.Priority) cardIcon {
	return cardIcon{Class: "pr-" + string(p), Name: Title(string(p)) + " priority", Glyph: priorityGlyph(p)}.withIcon()
}

// cardLinkID is the id of a card's link, which names its Move button: short, from the
// task's number (unique on its project's board).
func cardLinkID(t *store.Task) string {
	return "cl-" + strconv.Itoa(t.Number)
}

func cardType(t store.TaskType) cardIcon {
	if c, ok := cardTypes[t]; ok {
		return c
	}
	return typeIcon(t)
}

func cardPriority(p store.Priority) cardIcon {
	if c, ok := cardPriorities[p]; ok {
		return c
	}
	return priorityIcon(p)
}

var avatarClasses = func() [12]string {
	var out [12]string
	for i := range out {
		out[i] = "avatar avatar-" + strconv.Itoa(i)
	}
	return out
}()

// avatarClass is the classes of a user's avatar, as Avatar writes them.
func avatarClass(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return avatarClasses[h.Sum32()%12]
}

// memberUser returns the member with this id, without building a map per card.
func memberUser(members []store.Member, id string) store.User {
	for _, m := range members {
		if m.User.ID == id {
			return m.User
		}
	}
	return store.User{ID: id, Name: "a former member"}
}

// cardMoveURL is the card's move page, keeping the board's filter.
func cardMoveURL(p Page, b BoardView, t *store.Task) string {
	if !b.Filter.Active() {
		return ProjectURL(p.Project, "/board/move/"+t.Key)
	}
	return MoveURL(p.Project, t, b.Filter.Query())
}
