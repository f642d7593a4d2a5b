import JSON

/// Plain-text tables for `didtron-switch ctl`: a header row, columns padded
/// to their widest cell, two spaces between.
public struct TextTable: Sendable {
  public var columns: [String]
  public var rows: [[String]] = []

  public init(columns: [String]) { self.columns = columns }

  public mutating func add(_ row: [String]) { rows.append(row) }

  public var rendered: String {
    let all = [columns] + rows
    var widths = columns.map(\.count)
    for row in all {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    return all.map { row in
      row.enumerated().map { index, cell in
        index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }

  /// A table of `columns` (JSON member names, dotted for nested ones:
  /// `ingress.carrier_id`) from an array of objects.
  public static func of(_ items: [JSONValue], columns: [String]) -> TextTable {
    var table = TextTable(columns: columns.map { $0.uppercased() })
    for item in items {
      table.add(
        columns.map { path in
          var value: JSONValue? = item
          for key in path.split(separator: ".") { value = value?[String(key)] }
          return value?.cellText ?? "-"
        })
    }
    return table
  }
}
