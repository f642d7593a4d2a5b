import Proxy
import SIPCore
