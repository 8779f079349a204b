// Package render turns results into what people read: markdown and text
// tables (the one adapter over github.com/olekukonko/tablewriter, so its API
// churn stays in one file) and figures (gonum/plot). Every file is written
// atomically: to a temporary name in the same folder, then renamed.
package render
