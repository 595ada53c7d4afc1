package store

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on task fields.
const (
	MaxTitleLen       = 255
	MaxDescriptionLen = 20000
	MaxLabels         = 10
	MaxLabelLen       = 32
	MaxPoints         = 1000
)

var labelRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._-]*$`)

func normTitle(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " "))
	switch {
	case s == "":
		return "", invalidField("title", "Title can't be empty.")
	case utf8.RuneCountInString(s) > MaxTitleLen:
		return "", invalidField("title", "Title is too long (%d characters at most).", MaxTitleLen)
	case !utf8.ValidString(s):
		return "", invalidField("title", "Title contains invalid characters.")
	}
	return s, nil
}

func normDescription(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case utf8.RuneCountInString(s) > MaxDescriptionLen:
		return "", invalidField("description", "Description is too long (%d characters at most).", MaxDescriptionLen)
	case !utf8.ValidString(s):
		return "", invalidField("description", "Description contains invalid characters.")
	}
	return s, nil
}

func normType(t TaskType) (TaskType, error) {
	t = TaskType(strings.ToLower(strings.TrimSpace(string(t))))
	if t == "" {
		return TypeTask, nil
	}
	if !slices.Contains(TaskTypes, t) {
		return "", invalidField("type", "Type must be one of story, bug, task or epic.")
	}
	return t, nil
}

func normPriority(p Priority) (Priority, error) {
	p = Priority(strings.ToLower(strings.TrimSpace(string(p))))
	if p == "" {
		return PriorityMedium, nil
	}
	if !slices.Contains(Priorities, p) {
		return "", invalidField("priority", "Priority must be one of highest, high, medium, low or lowest.")
	}
	return p, nil
}

// normLabels trims, de-duplicates and sorts labels so equal sets compare equal.
func normLabels(in []string) ([]string, error) {
	out := []string{}
	for _, l := range in {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if utf8.RuneCountInString(l) > MaxLabelLen {
			return nil, invalidField("labels", "Label %q is too long (%d characters at most).", l, MaxLabelLen)
		}
		if !labelRE.MatchString(l) {
			return nil, invalidField("labels", "Label %q may only hold letters, digits, dots, dashes and underscores.", l)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(out) > MaxLabels {
		return nil, invalidField("labels", "A task has at most %d labels.", MaxLabels)
	}
	slices.Sort(out)
	return out, nil
}

// ParseLabels splits a comma- or space-separated list of labels.
func ParseLabels(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func normPoints(p *float64) (*float64, error) {
	if p == nil {
		return nil, nil
	}
	switch {
	case math.IsNaN(*p) || math.IsInf(*p, 0):
		return nil, invalidField("points", "Story points must be a number.")
	case *p < 0:
		return nil, invalidField("points", "Story points can't be negative.")
	case *p > MaxPoints:
		return nil, invalidField("points", "Story points can be %d at most.", MaxPoints)
	}
	v := math.Round(*p*100) / 100
	return &v, nil
}

func normDue(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 || d.Year() > 9999 {
		return "", invalidField("due", "Due date must be a date like 2026-12-31.")
	}
	return d.Format(time.DateOnly), nil
}
