#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

/* Functions for the macros that SIPTransport/TLS needs: Swift cannot call a
   function-like macro, and the SSL_OP_* constants are 64-bit expressions that
   are not imported either. */

static inline int didtron_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
  return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int didtron_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
  return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline int didtron_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
  return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline long didtron_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
  return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long didtron_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
  return SSL_CTX_set_mode(ctx, mode);
}
/* No compression (CRIME), no renegotiation (a client renegotiating in a loop),
   the server's cipher order. */
static inline void didtron_SSL_CTX_set_default_options(SSL_CTX *ctx) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
}
static inline long didtron_SSL_SESS_CACHE_SERVER(void) { return SSL_SESS_CACHE_SERVER; }
static inline long didtron_SSL_SESS_CACHE_CLIENT(void) { return SSL_SESS_CACHE_CLIENT; }
static inline long didtron_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline int didtron_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
  return (int)SSL_set_tlsext_host_name(ssl, name);
}
/* An empty memory BIO reads as "retry later", not as end of file. */
static inline void didtron_BIO_set_mem_eof_return(BIO *bio, int value) {
  BIO_set_mem_eof_return(bio, value);
}
/* Mutual TLS by name (TLSCertificate): the subject in RFC 2253 form, as
   `openssl x509 -noout -subject -nameopt RFC2253` prints it, and the
   subjectAltName entries (the stack macros and the GENERAL_NAME union are
   not callable from Swift). */
static inline unsigned long didtron_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline GENERAL_NAMES *didtron_X509_subject_alt_names(const X509 *certificate) {
  return (GENERAL_NAMES *)X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
}
static inline int didtron_GENERAL_NAMES_count(const GENERAL_NAMES *names) {
  return sk_GENERAL_NAME_num(names);
}
/* The kind of entry `index` (GEN_DNS, GEN_URI or GEN_IPADD; -1 for any other)
   and its bytes, owned by `names`. */
static inline int didtron_GENERAL_NAMES_entry(const GENERAL_NAMES *names, int index,
                                              const unsigned char **data, int *length) {
  const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
  int type = -1;
  const ASN1_STRING *value = name == NULL ? NULL : (const ASN1_STRING *)GENERAL_NAME_get0_value(name, &type);
  if (value == NULL || (type != GEN_DNS && type != GEN_URI && type != GEN_IPADD)) return -1;
  *data = ASN1_STRING_get0_data(value);
  *length = ASN1_STRING_length(value);
  return type;
}
static inline int didtron_GEN_DNS(void) { return GEN_DNS; }
static inline int didtron_GEN_URI(void) { return GEN_URI; }
static inline int didtron_GEN_IPADD(void) { return GEN_IPADD; }
#endif
