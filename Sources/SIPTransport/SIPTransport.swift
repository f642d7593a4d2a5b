import NIOCore
import SIPCore
