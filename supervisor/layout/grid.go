package layout

import (
	"errors"
	"fmt"
	"strings"
)

// Geometry: pure functions from window sizes and pane counts to tmux
// layout strings. A tmux layout string is "csum,body" where body is a tree
// of cells "WxH,X,Y" followed by ",ID" for a pane or by {children}
// (side by side) or [children] (stacked). tmux 3.3a gives the panes of the
// window to the leaves in the window's pane order (depth first), whatever
// the ids say, and resizes the window to the root's size: the root must be
// the window's current size exactly.

// cell is one node of a layout tree.
type cell struct {
	w, h, x, y int
	kind       byte   // 0: a pane; '{': children side by side; '[': stacked
	pane       string // a pane's id ("%7"), leaves only
	kids       []cell
}

// body writes the cell in tmux's layout syntax.
func (c cell) body(b *strings.Builder) {
	fmt.Fprintf(b, "%dx%d,%d,%d", c.w, c.h, c.x, c.y)
	if c.kind == 0 {
		b.WriteByte(',')
		b.WriteString(strings.TrimPrefix(c.pane, "%"))
		return
	}
	b.WriteByte(c.kind)
	for i, k := range c.kids {
		if i > 0 {
			b.WriteByte(',')
		}
		k.body(b)
	}
	if c.kind == '{' {
		b.WriteByte('}')
	} else {
		b.WriteByte(']')
	}
}

// String is the layout string select-layout accepts: tmux's 16-bit
// checksum of the body, in four hex digits, a comma and the body.
func (c cell) String() string {
	var b strings.Builder
	c.body(&b)
	s := b.String()
	return fmt.Sprintf("%04x,%s", checksum(s), s)
}

// checksum is tmux's layout_checksum (layout-custom.c).
func checksum(s string) uint16 {
	var csum uint16
	for i := 0; i < len(s); i++ {
		csum = (csum >> 1) + ((csum & 1) << 15)
		csum += uint16(s[i])
	}
	return csum
}

// leadWidth is the lead's share of a window w columns wide, rounded, at
// least one column.
func leadWidth(w, share int) int {
	l := (w*share + 50) / 100
	if l < 1 {
		l = 1
	}
	return l
}

// fit is how many cells of at least min fit side by side in size, one
// border between neighbours.
func fit(size, min int) int {
	if min < 1 {
		min = 1
	}
	if size < min {
		return 0
	}
	return (size + 1) / (min + 1)
}

// capacity is how many teammate panes a window of w×h holds at the
// readable minimum: beside the lead (lead true: the lead keeps share
// percent of the width) or on their own (an overflow window).
func capacity(w, h int, lead bool, share, minW, minH int) int {
	if lead {
		w = w - leadWidth(w, share) - 1
	}
	return fit(w, minW) * fit(h, minH)
}

// spread splits size into n parts with one border between neighbours, the
// first ones one larger when it does not divide evenly. Every part is at
// least one.
func spread(size, n int) ([]int, error) {
	free := size - (n - 1)
	if n < 1 || free < n {
		return nil, fmt.Errorf("%d panes do not fit in %d cells", n, size)
	}
	parts := make([]int, n)
	for i := range parts {
		parts[i] = free / n
		if i < free%n {
			parts[i]++
		}
	}
	return parts, nil
}

// divide splits n into k counts, the first ones one larger when uneven.
func divide(n, k int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// errNoPanes: a layout needs at least one teammate pane.
var errNoPanes = errors.New("layout: no teammate panes")

// grid lays out the panes (in the window's pane order) in the area
// w×h at x, filling columns of at most rows panes top to bottom, left to
// right: one column while they fit at the readable height, which is
// tmux's main-vertical beside a lead.
func grid(panes []string, x, w, h, rows int) ([]cell, error) {
	n := len(panes)
	if n == 0 {
		return nil, errNoPanes
	}
	if rows < 1 {
		rows = 1
	}
	cols := (n + rows - 1) / rows
	widths, err := spread(w, cols)
	if err != nil {
		return nil, err
	}
	per := divide(n, cols)
	out := make([]cell, 0, cols)
	next := 0
	for i, cw := range widths {
		k := per[i]
		heights, err := spread(h, k)
		if err != nil {
			return nil, err
		}
		col := cell{w: cw, h: h, x: x, y: 0, kind: '['}
		y := 0
		for _, ch := range heights {
			col.kids = append(col.kids, cell{w: cw, h: ch, x: x, y: y, pane: panes[next]})
			next++
			y += ch + 1
		}
		if k == 1 {
			col = col.kids[0]
		}
		out = append(out, col)
		x += cw + 1
	}
	return out, nil
}

// leadTree is the layout of a lead's window w×h: the lead full height on
// the left with share percent of the width, its teammates in the rest.
// panes are the window's panes in order, the lead first.
func leadTree(panes []string, w, h, share, minH int) (cell, error) {
	if len(panes) < 2 {
		return cell{}, errNoPanes
	}
	lw := leadWidth(w, share)
	if lw > w-2 {
		return cell{}, fmt.Errorf("window %dx%d has no room beside the lead", w, h)
	}
	cols, err := grid(panes[1:], lw+1, w-lw-1, h, fit(h, minH))
	if err != nil {
		return cell{}, fmt.Errorf("window %dx%d: %w", w, h, err)
	}
	root := cell{w: w, h: h, kind: '{', kids: []cell{{w: lw, h: h, pane: panes[0]}}}
	root.kids = append(root.kids, cols...)
	return root, nil
}

// overflowTree is the layout of an overflow window w×h: teammates only.
func overflowTree(panes []string, w, h, minH int) (cell, error) {
	cols, err := grid(panes, 0, w, h, fit(h, minH))
	if err != nil {
		return cell{}, fmt.Errorf("window %dx%d: %w", w, h, err)
	}
	if len(cols) == 1 {
		return cols[0], nil
	}
	return cell{w: w, h: h, kind: '{', kids: cols}, nil
}
