-- 0024 SIP over TLS for interconnects (issue 20 item 2).
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
-- * ADDITION carrier_interconnects.tls_server_name (text, NULL): egress over
--   TLS only. The DNS name the supplier's certificate must carry in its
--   subjectAltName, sent as SNI (RFC 6066). NULL: the certificate must name
--   ip_address instead. Lower-case letters, digits, '-' and '.'.
-- * ADDITION carrier_interconnects.tls_fingerprint_sha256 (text, NULL):
--   egress over TLS only. SHA-256 of the supplier's certificate (DER), 64
--   lower-case hex digits (`openssl x509 -in cert.pem -outform DER |
--   sha256sum`). When set, exactly that certificate is accepted, whoever
--   signed it (a self-signed supplier certificate), and tls_server_name and
--   the CA bundle are not consulted; a renewed supplier certificate needs the
--   new pin. NULL: the CA chain and the name are verified.
-- * Both are ignored for udp/tcp interconnects and for ingress.
-- * ADDITION carrier_interconnects.tls_client_fingerprint_sha256 (text,
--   NULL): ingress over TLS only (mutual TLS). SHA-256 of the client
--   certificate (DER, 64 lower-case hex digits) that TLS connections from
--   this interconnect's addresses must present, whoever signed it. Such a
--   connection is asked for a client certificate; without one, or with
--   another, its handshake fails and nothing it sends reaches the switch (no
--   403: there is no SIP to answer). The interconnect is still identified by
--   its addresses; the certificate is a second proof. NULL: no certificate is
--   asked for.
-- * The constraint keeps its name (carrier_interconnects_transport_check),
--   so a later migration can find it.

ALTER TABLE carrier_interconnects DROP CONSTRAINT carrier_interconnects_transport_check;
ALTER TABLE carrier_interconnects ADD CONSTRAINT carrier_interconnects_transport_check
    CHECK (transport IN ('udp', 'tcp', 'tls'));

ALTER TABLE carrier_interconnects
    ADD COLUMN tls_server_name text
        CHECK (tls_server_name ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
    ADD COLUMN tls_fingerprint_sha256 text
        CHECK (tls_fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN tls_client_fingerprint_sha256 text
        CHECK (tls_client_fingerprint_sha256 ~ '^[0-9a-f]{64}$');
