import SIPCore

/// The dialogs the switch sits in (RFC 3261 §12), by Call-ID and tags from
/// either direction. One event loop's; no locks.
final class DialogTable {
  private var table: [DialogKey: Dialog] = [:]

  var count: Int { table.count }

  /// Every dialog, in no order.
  var all: Dictionary<DialogKey, Dialog>.Values { table.values }

  /// The dialog an in-dialog message (or a 2xx) belongs to, if any.
  func find(_ message: SIPMessage) -> Dialog? {
    guard !table.isEmpty, let callID = message.callID, let from = message.fromTag, let to = message.toTag
    else {
      return nil
    }
    return table[DialogKey(callID: callID, tagA: from, tagB: to)]
  }

  subscript(key: DialogKey) -> Dialog? { table[key] }

  /// Whether `dialog` itself (not only its key) is in the table: a timer
  /// of a dialog that has ended must not act on a later one.
  func contains(_ dialog: Dialog) -> Bool { table[dialog.key] === dialog }

  /// Files `dialog` under its key, in place of any dialog there.
  func insert(_ dialog: Dialog) { table[dialog.key] = dialog }

  /// Takes the dialog under `dialog`'s key out; false when there was none.
  @discardableResult
  func remove(_ dialog: Dialog) -> Bool { table.removeValue(forKey: dialog.key) != nil }

  /// Takes every dialog out, oldest call first.
  func removeAll() -> [Dialog] {
    let open = table.values.sorted { $0.summary.startedUnixMs < $1.summary.startedUnixMs }
    table.removeAll()
    return open
  }

  /// Gives back the memory of a table mostly emptied since a flood.
  func compact() { table.shrinkIfSparse() }
}
