import ArgumentParser
import Glibc
import JSON
import SwitchDaemon

/// How `didtron-switch ctl` finds the switch: `--url`/`--token-file`, else
/// `DIDTRON_ADMIN_URL`/`DIDTRON_ADMIN_TOKEN_FILE`, else `admin.listen` and
/// `admin.token_file` of `--config` (or /etc/didtron-switch/didtron-switch.toml
/// when it exists), else the demo's `127.0.0.1:9465` and
/// `$DIDTRON_DEMO_DIR/admin-token` (scripts/run-switch).
struct CtlOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp("The switch's configuration file (admin.listen, admin.token_file).", valueName: "file")
  )
  var config: String?

  @Option(help: ArgumentHelp("The admin API, http://HOST:PORT (or DIDTRON_ADMIN_URL).", valueName: "url"))
  var url: String?

  @Option(help: ArgumentHelp("The bearer token file (or DIDTRON_ADMIN_TOKEN_FILE).", valueName: "file"))
  var tokenFile: String?

  @Flag(help: "Print the API's JSON as it comes.")
  var json = false

  static let systemConfig = "/etc/didtron-switch/didtron-switch.toml"

  func client() throws -> AdminClient {
    let environment = ProcessEnvironment.current
    var address: (host: String, port: Int)?
    var tokenPath = tokenFile ?? environment["DIDTRON_ADMIN_TOKEN_FILE"]
    if let text = url ?? environment["DIDTRON_ADMIN_URL"] {
      guard let parsed = AdminClient.parse(url: text) else { fail("\(text) is not http://HOST:PORT") }
      address = parsed
    }
    let configPath = config ?? (access(Self.systemConfig, R_OK) == 0 ? Self.systemConfig : nil)
    if address == nil || tokenPath == nil, let configPath {
      do {
        let settings = try SwitchConfig.loadAdminSettings(
          file: try ConfigFile(contentsOf: configPath), environment: environment)
        if address == nil, let listen = settings.listen { address = (listen.host, listen.port) }
        if tokenPath == nil, !settings.tokenFile.isEmpty { tokenPath = settings.tokenFile }
        if address == nil { fail("admin.listen is not set in \(configPath): the admin API is off") }
      } catch {
        fail("\(error)")
      }
    }
    let demo = (environment["DIDTRON_DEMO_DIR"] ?? "/var/tmp/didtron-demo") + "/admin-token"
    let (host, port) = address ?? ("127.0.0.1", 9465)
    let path = tokenPath ?? demo
    guard let text = AdminTokens.readSmallFile(path) else { fail("cannot read the token file \(path)") }
    let tokens: AdminTokens
    do {
      tokens = try AdminTokens(text: text)
    } catch {
      fail("token file \(path): \(error)")
    }
    return AdminClient(host: host, port: port, token: tokens.entries[0].token)
  }

  /// Sends one request; prints the API's error and exits 1 unless it is 2xx.
  func call(_ method: String, _ path: String, body: String? = nil) throws -> JSONValue {
    let response: AdminClient.Response
    do {
      response = try client().request(method, path, body: body)
    } catch let error as AdminClient.Failure {
      fail(error.description)
    }
    let value = try? JSONParser.parse(response.body)
    guard (200..<300).contains(response.status) else {
      fail(value?["error"]?["message"]?.stringValue ?? "HTTP \(response.status)")
    }
    guard let value else { fail("the admin API's answer is not JSON") }
    if json { print(response.body, terminator: response.body.hasSuffix("\n") ? "" : "\n") }
    return value
  }

  /// One line on stderr, exit status 1.
  func fail(_ message: String) -> Never {
    printToStandardError("didtron-switch ctl: \(message)")
    Glibc.exit(1)
  }
}

/// Percent-encodes a path segment or query value.
func urlEncoded(_ text: String) -> String {
  var out = ""
  for byte in text.utf8 {
    if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
      || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    {
      out.unicodeScalars.append(Unicode.Scalar(byte))
    } else {
      let hex = String(byte, radix: 16, uppercase: true)
      out += "%" + (hex.count == 1 ? "0" + hex : hex)
    }
  }
  return out
}
