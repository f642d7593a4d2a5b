import Glibc

/// A notification could not be sent. The daemon logs it and carries on.
public struct SystemdNotifierError: Error, Sendable, Equatable, CustomStringConvertible {
  public var socketPath: String
  public var message: String

  init(socketPath: String, _ message: String) {
    self.socketPath = socketPath
    self.message = message
  }

  init(socketPath: String, errno code: Int32, _ call: String) {
    self.init(socketPath: socketPath, "\(call): \(String(cString: strerror(code)))")
  }

  public var description: String { "systemd notify via \(socketPath): \(message)" }
}
