package render

import (
	"bytes"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table is a header and rows of cells, rendered as markdown (for reports)
// or as an aligned text table (for terminals).
type Table struct {
	Header []string
	Rows   [][]string
	// Right lists the columns aligned right (numbers); the rest align left.
	Right []int
}

// Markdown writes t as a GitHub-flavoured markdown table.
func (t Table) Markdown(w io.Writer) error {
	return t.render(w, renderer.NewMarkdown())
}

// Text writes t as an aligned plain-text table with box borders.
func (t Table) Text(w io.Writer) error {
	return t.render(w, renderer.NewBlueprint())
}

func (t Table) render(w io.Writer, r tw.Renderer) error {
	for i, row := range t.Rows {
		if len(row) != len(t.Header) {
			return fmt.Errorf("render: table row %d has %d cells, header has %d", i, len(row), len(t.Header))
		}
	}
	align := make([]tw.Align, len(t.Header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	for _, c := range t.Right {
		if c >= 0 && c < len(align) {
			align[c] = tw.AlignRight
		}
	}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	tbl.Header(anySlice(t.Header)...)
	for _, row := range t.Rows {
		if err := tbl.Append(anySlice(row)...); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if b := buf.Bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
