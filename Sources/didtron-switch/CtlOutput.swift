import JSON
import SwitchDaemon

/// The one shape of every `ctl` command: call the admin API, then print its
/// JSON as it came (`--json`) or the command's text rendering of it.
extension CtlOptions {
  /// Sends one request (`call`: exits 1 on an error answer) and prints the
  /// answer: as JSON with `--json`, else `render`'s text (lines end in "\n").
  func show(
    _ method: String, _ path: String, body: String? = nil, render: (JSONValue) -> String
  ) throws {
    let value = try call(method, path, body: body)
    guard !json else { return }
    print(render(value), terminator: "")
  }
}

/// A table of `columns` (dotted for nested members) from the array `items`,
/// header included; an absent array is a table with no rows.
func ctlTable(_ items: JSONValue?, _ columns: [String]) -> String {
  TextTable.of(items?.arrayValue ?? [], columns: columns).rendered
}

/// A value's cell text, `missing` when it is absent.
func ctlCell(_ value: JSONValue?, or missing: String = "-") -> String {
  value?.cellText ?? missing
}
