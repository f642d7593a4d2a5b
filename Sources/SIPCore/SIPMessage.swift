import CLibOSIP

/// A SIP request or response, parsed by libosip2. (Being written.)
public final class SIPMessage {
  init() {}
}
