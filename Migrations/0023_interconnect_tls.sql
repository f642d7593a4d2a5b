-- 0023 SIP over TLS for interconnects (issue 20 item 2).
--
-- Design decisions
-- * CHANGE carrier_interconnects.transport: 'tls' is allowed besides 'udp'
--   and 'tcp' (0002). An egress interconnect with 'tls' is reached over TLS
--   at ip_address:sip_port: the switch verifies the supplier's certificate
--   against tls.ca_file (or the system's CAs) and the IP address (the
--   certificate must name it in its subjectAltName), and keeps one
--   connection per destination as for TCP (docs/tls.md). An ingress
--   interconnect with 'tls' identifies calls that arrive over TLS from its
--   addresses only; the same addresses over UDP or TCP are not this
--   interconnect (as 'tcp' already is not 'udp').
-- * No column yet for a supplier's TLS host name, a pinned SHA-256
--   fingerprint or a client-certificate identity (mutual TLS): they come
--   with the code that uses them (docs/tls.md, "Limits").
-- * The constraint keeps its name (carrier_interconnects_transport_check),
--   so a later migration can find it.

ALTER TABLE carrier_interconnects DROP CONSTRAINT carrier_interconnects_transport_check;
ALTER TABLE carrier_interconnects ADD CONSTRAINT carrier_interconnects_transport_check
    CHECK (transport IN ('udp', 'tcp', 'tls'));
