/// Places map labels next to their markers where they cover no marker and no label placed before
/// them: warehouses a few kilometres apart (a city and its provincial depot) would otherwise print
/// their ids over each other. Greedy and in the caller's order, so the same report always gets the
/// same layout.
struct MapLabels {
    private var taken: [(Double, Double, Double, Double)] = []
    private let bounds: (Double, Double, Double, Double)

    init(bounds: (Double, Double, Double, Double)) { self.bounds = bounds }

    /// Something drawn that labels should avoid: a box from (x1, y1) to (x2, y2).
    mutating func occupy(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) { taken.append((x1, y1, x2, y2)) }

    /// Where to write `text` for a marker at (x, y) reaching `clearance` units around it: the
    /// first of right, left, above, below and the diagonals that is free and inside the map, else
    /// the one overlapping least. Widths are estimated from the character count (DejaVu Sans,
    /// Chromium's fallback on Debian, averages about 0.6 em a character, bold 0.66).
    mutating func place(_ text: String, x: Double, y: Double, clearance: Double, fontSize: Double, bold: Bool)
        -> (x: Double, y: Double, anchor: String) {
        let width = Double(text.count) * fontSize * (bold ? 0.66 : 0.6)
        let ascent = fontSize * 0.8, descent = fontSize * 0.25
        let gap = clearance + 3
        let candidates: [(Double, Double, String)] = [
            (x + gap, y + ascent / 2 - 1, "start"), (x - gap, y + ascent / 2 - 1, "end"),
            (x, y - gap - descent, "middle"), (x, y + gap + ascent, "middle"),
            (x + gap - 2, y - gap + 2, "start"), (x + gap - 2, y + gap + ascent - 2, "start"),
            (x - gap + 2, y - gap + 2, "end"), (x - gap + 2, y + gap + ascent - 2, "end"),
        ]
        var best: (overlap: Double, spot: (Double, Double, String), box: (Double, Double, Double, Double))?
        for (cx, cy, anchor) in candidates {
            let x1 = anchor == "start" ? cx : anchor == "end" ? cx - width : cx - width / 2
            let box = (x1 - 2, cy - ascent - 1, x1 + width + 2, cy + descent + 1)
            var overlap = taken.reduce(0.0) { $0 + Self.overlap($1, box) }
            // Outside the frame is worse than a small overlap, but still allowed as a last resort.
            if box.0 < bounds.0 || box.2 > bounds.2 || box.1 < bounds.1 || box.3 > bounds.3 { overlap += width * fontSize }
            if best == nil || overlap < best!.overlap { best = (overlap, (cx, cy, anchor), box) }
            if overlap == 0 { break }
        }
        taken.append(best!.box)
        return (best!.spot.0, best!.spot.1, best!.spot.2)
    }

    private static func overlap(_ a: (Double, Double, Double, Double), _ b: (Double, Double, Double, Double)) -> Double {
        let width = min(a.2, b.2) - max(a.0, b.0), height = min(a.3, b.3) - max(a.1, b.1)
        return width > 0 && height > 0 ? width * height : 0
    }
}
