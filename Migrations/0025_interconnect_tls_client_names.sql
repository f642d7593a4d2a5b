-- 0025 Mutual TLS for interconnects by subject or subjectAltName (issue 20
-- item 3). Until now an ingress interconnect's client certificate was named
-- by its SHA-256 only (0024, tls_client_fingerprint_sha256).
--
-- Design decisions
-- * ADDITION carrier_interconnects.tls_client_subject (text, NULL): ingress
--   over TLS only. The subject the client certificate of connections from
--   this interconnect's addresses must have, in the RFC 2253 form that
--   `openssl x509 -noout -subject -nameopt RFC2253` prints (without the
--   `subject=` in front): most specific attribute first, comma-separated, no
--   spaces around the commas, e.g. 'CN=sbc.carrier.example,O=Carrier Ltd,C=GB'.
--   Compared exactly, case included, with the whole subject (not the CN alone).
-- * ADDITION carrier_interconnects.tls_client_san (text, NULL): ingress over
--   TLS only. One subjectAltName entry the client certificate must carry,
--   written 'DNS:name', 'URI:uri' or 'IP:address' (as `openssl x509 -ext
--   subjectAltName` prints them). DNS names compare in lower case (a
--   wildcard entry is one literal name, not a pattern), URIs exactly, IP
--   addresses by value ('IP:2001:db8::10' matches however it is written).
-- * A name proves nothing unless a CA vouches for it: with either column set,
--   the client certificate's chain must verify against tls.ca_file (the CA
--   bundle the switch trusts; with no tls.ca_file no name matches). A pinned
--   tls_client_fingerprint_sha256 needs no CA.
-- * Every column that is set must match (fingerprint, subject, SAN: AND);
--   when several ingress TLS interconnects share an address, a connection
--   from it must match one of them (OR). NULL in all three: no client
--   certificate is asked for.
-- * A wrong or missing certificate fails the TLS handshake: nothing the
--   client sends reaches the switch, so there is no 403 (there is no SIP to
--   answer). The interconnect is still identified by its addresses; the
--   certificate is a second proof, checked before any SIP is read.
-- * Both columns are ignored for udp/tcp interconnects and for egress.
-- * The CHECKs catch the gross errors; the loader checks the rest (an
--   attribute type before each '=', a DNS name's labels, an IP address that
--   parses) and refuses the load naming the row.

ALTER TABLE carrier_interconnects
    ADD COLUMN tls_client_subject text
        CHECK (length(tls_client_subject) BETWEEN 3 AND 1024 AND tls_client_subject LIKE '%=%'),
    ADD COLUMN tls_client_san text
        CHECK (length(tls_client_san) <= 1030 AND tls_client_san ~* '^(DNS|URI|IP):.+$');
