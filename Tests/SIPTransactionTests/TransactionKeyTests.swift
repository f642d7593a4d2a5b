import SIPTransaction
import Testing

@Suite("TransactionKey (RFC 3261 §17.1.3, §17.2.3)")
struct TransactionKeyTests {
  let branch = "z9hG4bK74bf9"
  let sentBy = "192.0.2.4:5060"

  @Test("an ACK matches the INVITE server transaction with the same branch and sent-by")
  func ackMatchesInvite() {
    let invite = TransactionKey.server(branch: branch, sentBy: sentBy, method: "INVITE")
    let ack = TransactionKey.server(branch: branch, sentBy: sentBy, method: "ACK")
    #expect(ack == invite)
    #expect(ack.hashValue == invite.hashValue)
    #expect(ack.method == "INVITE")
  }

  @Test("a CANCEL with the INVITE's branch is a transaction of its own")
  func cancelDiffersFromInvite() {
    let invite = TransactionKey.server(branch: branch, sentBy: sentBy, method: "INVITE")
    let cancel = TransactionKey.server(branch: branch, sentBy: sentBy, method: "CANCEL")
    #expect(cancel != invite)
    #expect(
      TransactionKey.client(branch: branch, method: "CANCEL")
        != TransactionKey.client(branch: branch, method: "INVITE"))
  }

  @Test("sent-by compares without case; branch, sent-by and method all count")
  func serverFields() {
    let key = TransactionKey.server(branch: branch, sentBy: "Proxy.Example.COM:5060", method: "BYE")
    #expect(key == .server(branch: branch, sentBy: "proxy.example.com:5060", method: "BYE"))
    #expect(key.sentBy == "proxy.example.com:5060")
    #expect(key != .server(branch: branch, sentBy: "proxy.example.com:5070", method: "BYE"))
    #expect(key != .server(branch: "z9hG4bK74bfa", sentBy: "proxy.example.com:5060", method: "BYE"))
    #expect(key != .server(branch: branch, sentBy: "proxy.example.com:5060", method: "OPTIONS"))
  }

  @Test("the branch and the method are compared exactly")
  func exactBranchAndMethod() {
    #expect(
      TransactionKey.client(branch: "z9hG4bKabc", method: "INVITE")
        != TransactionKey.client(branch: "z9hG4bKABC", method: "INVITE"))
    #expect(
      TransactionKey.client(branch: branch, method: "INVITE")
        != TransactionKey.client(branch: branch, method: "invite"))
  }

  @Test("a client key never equals a server key")
  func clientAndServerDiffer() {
    let client = TransactionKey.client(branch: branch, method: "INVITE")
    #expect(client.sentBy == nil)
    #expect(client != .server(branch: branch, sentBy: sentBy, method: "INVITE"))
  }

  @Test("client responses match by branch and CSeq method; ACK is not folded into INVITE on the client side")
  func clientFields() {
    let key = TransactionKey.client(branch: branch, method: "INVITE")
    #expect(key == .client(branch: branch, method: "INVITE"))
    #expect(key != .client(branch: "z9hG4bK74bf8", method: "INVITE"))
    #expect(key != .client(branch: branch, method: "ACK"))
  }

  @Test(
    "isRFC3261Branch needs the magic cookie and something after it (RFC 4475 §3.2.1)",
    arguments: [
      ("z9hG4bK776asdhds", true),
      ("z9hG4bK-d8754z-1", true),
      ("z9hG4bKx", true),
      ("z9hG4bK", false),
      ("", false),
      ("776asdhds", false),
      ("z9hG4b", false),
      ("Z9HG4BK776asdhds", false),
      ("xz9hG4bK776", false),
    ])
  func magicCookie(branch: String, expected: Bool) {
    #expect(TransactionKey.client(branch: branch, method: "OPTIONS").isRFC3261Branch == expected)
    #expect(TransactionKey.isRFC3261Branch(branch) == expected)
  }

  @Test("keys work in a table")
  func dictionary() {
    var table: [TransactionKey: Int] = [:]
    table[.server(branch: branch, sentBy: sentBy, method: "INVITE")] = 1
    table[.server(branch: branch, sentBy: sentBy, method: "CANCEL")] = 2
    table[.client(branch: branch, method: "INVITE")] = 3
    #expect(table.count == 3)
    #expect(table[.server(branch: branch, sentBy: sentBy, method: "ACK")] == 1)
    #expect(table[.server(branch: branch, sentBy: sentBy.uppercased(), method: "CANCEL")] == 2)
  }
}
