//! Which rows of a fixed-row-height list are visible, so long lists render only a window.

/// The `[start, end)` rows to render for a viewport at `scroll_top` of `height` pixels, plus
/// `overscan` rows on each side.
pub fn visible_range(
    scroll_top: f64,
    height: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> (usize, usize) {
    if total == 0 || row_height <= 0.0 {
        return (0, 0);
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let visible = (height.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = (first + visible + overscan).min(total);
    (start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        for (top, h, total, want) in [
            (0.0, 400.0, 10_000, (0, 11)),
            (8_000.0, 400.0, 10_000, (95, 111)),
            (0.0, 400.0, 3, (0, 3)),
            (0.0, 400.0, 0, (0, 0)),
            (1e9, 400.0, 100, (100, 100)),
        ] {
            assert_eq!(visible_range(top, h, 80.0, total, 5), want, "{top}");
        }
    }
}
