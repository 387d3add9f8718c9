/// A horizontal bar chart drawn as inline SVG, for the HTML report: one row per category, one bar per series in
/// each row, every bar labelled with its count (the chart reads without colour, and a screen reader gets the
/// figures from each bar's title). Bars are scaled to the largest value; a nonzero value gets at least a sliver.
struct BarChart {
    /// One series of bars: its name (shown in a legend when there are several) and its CSS class.
    struct Series {
        var name: String
        var cssClass: String
    }

    /// One category: its label, its key (for the `data-key` of its bars), and a value per series.
    struct Row {
        var label: String
        var key: String
        var values: [Int]
    }

    /// What the chart shows (its title for assistive technology), and the `data-chart` name of its bars.
    var title: String
    var name: String
    var series: [Series]
    var rows: [Row]

    private static let labelWidth = 170
    private static let barSpace = 260
    private static let valueWidth = 60
    private static let barHeight = 16
    private static let rowGap = 8
    private static let legendHeight = 22
    /// The longest label drawn in full; a longer one is cut (its bar's title holds it whole).
    private static let labelLength = 26

    /// The chart as an `<svg>` element; every text from outside is escaped.
    func svg() -> String {
        let width = Self.labelWidth + Self.barSpace + Self.valueWidth
        let legend = series.count > 1 ? Self.legendHeight : 0
        let rowHeight = series.count * Self.barHeight + Self.rowGap
        let height = legend + max(1, rows.count) * rowHeight
        let largest = max(1, rows.flatMap(\.values).max() ?? 1)
        var out = """
            <svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" aria-label="\(HTMLReport.escape(title))">
            <title>\(HTMLReport.escape(title))</title>

            """
        if series.count > 1 {
            var x = Self.labelWidth
            for item in series {
                out += """
                    <rect class="\(item.cssClass)" x="\(x)" y="4" width="12" height="12"/>\
                    <text x="\(x + 16)" y="14">\(HTMLReport.escape(item.name))</text>

                    """
                x += 16 + 8 * item.name.count + 20
            }
        }
        if rows.isEmpty {
            out += "<text x=\"0\" y=\"\(legend + 14)\">nothing to show</text>\n"
        }
        for (index, row) in rows.enumerated() {
            let top = legend + index * rowHeight
            let middle = top + (series.count * Self.barHeight) / 2 + 4
            let label = row.label.count > Self.labelLength ? row.label.prefix(Self.labelLength - 1) + "…" : row.label
            out +=
                "<text class=\"label\" x=\"\(Self.labelWidth - 8)\" y=\"\(middle)\" text-anchor=\"end\">"
                + "\(HTMLReport.escape(String(label)))</text>\n"
            for (position, (value, item)) in zip(row.values, series).enumerated() {
                let y = top + position * Self.barHeight
                let length =
                    value == 0 ? 0 : max(2, Int((Double(value) / Double(largest) * Double(Self.barSpace)).rounded()))
                let name = series.count > 1 ? "\(row.label), \(item.name)" : row.label
                out += """
                    <rect class="\(item.cssClass)" x="\(Self.labelWidth)" y="\(y + 1)" width="\(length)" \
                    height="\(Self.barHeight - 2)" data-chart="\(HTMLReport.escape(self.name))" \
                    data-key="\(HTMLReport.escape(row.key))" data-series="\(HTMLReport.escape(item.name))" \
                    data-value="\(value)"><title>\(HTMLReport.escape(name)): \(value)</title></rect>\
                    <text class="value" x="\(Self.labelWidth + length + 6)" y="\(y + Self.barHeight - 4)">\
                    \(HTMLReport.grouped(value))</text>

                    """
            }
        }
        return out + "</svg>"
    }
}
