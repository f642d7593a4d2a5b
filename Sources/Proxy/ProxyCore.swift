import SIPCore
import SIPTransaction
