package render

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarkdownTable(t *testing.T) {
	var b bytes.Buffer
	tbl := Table{Header: []string{"model", "params"}, Rows: [][]string{{"deit_tiny_patch16_224", "5717416"}, {"resnet18", "11689512"}}, Right: []int{1}}
	if err := tbl.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want header, separator and 2 rows, got:\n%s", b.String())
	}
	if !strings.Contains(lines[0], "model") || !strings.Contains(lines[0], "params") ||
		!strings.Contains(lines[1], "---") || !strings.Contains(lines[1], ":|") ||
		!strings.Contains(lines[3], "| resnet18") || !strings.HasSuffix(strings.TrimSpace(lines[3]), "11689512 |") {
		t.Fatalf("unexpected markdown:\n%s", b.String())
	}
}

func TestTableRowLengthChecked(t *testing.T) {
	var b bytes.Buffer
	err := Table{Header: []string{"a", "b"}, Rows: [][]string{{"1"}}}.Markdown(&b)
	if err == nil || !strings.Contains(err.Error(), "row 0") {
		t.Fatalf("got %v", err)
	}
}
