/* libre 1.1.0 internals the trunks need and its API does not give (see
 * recompat.h for the rule: version-specific calls live in recompat*.c).
 *
 * 1. The TCP peer of the TLS connection behind an SSL: libre's tls_conn
 *    (tls_tcp.c) is {SSL *ssl; BIO_METHOD *biomet; BIO *sbio_out;
 *    BIO *sbio_in; struct tcp_helper *th; struct tcp_conn *tcp; ...} and
 *    is the data of the SSL's write BIO. Checked against the 1.1.0 binary
 *    (tls_start_tcp); the back pointers are verified before use.
 * 2. The TLS object of the stack's TLS transport (needed to verify
 *    providers): struct sip begins with its transport list, each entry
 *    {struct le le; struct sa laddr; struct sip *sip; struct tls *tls;
 *    void *sock; enum sip_transp tp;} (sip_transp_add). A later libre
 *    gives both through its API (tls_set_verify_server per connection). */
#include <errno.h>
#include <re.h>
#include <openssl/ssl.h>
#include "recompat.h"
#include "calls.h"

struct re110_tls_conn {
	SSL *ssl;
	void *biomet;
	BIO *sbio_out;
	BIO *sbio_in;
	void *th;
	struct tcp_conn *tcp;
};

struct re110_sip_transport {
	struct le le;
	struct sa laddr;
	struct sip *sip;
	struct tls *tls;
	void *sock;
	enum sip_transp tp;
};

int sip_re_tls_ssl_peer(struct ssl_st *ssl, struct sa *peer)
{
	BIO *out = ssl ? SSL_get_wbio(ssl) : NULL;
	const struct re110_tls_conn *tc = out ? BIO_get_data(out) : NULL;

	if (tc == NULL || tc->ssl != ssl || tc->sbio_out != out || tc->tcp == NULL)
		return ENOENT;
	return tcp_conn_peer_get(tc->tcp, peer);
}

struct tls *sip_re_transp_tls(struct sip *sip)
{
	const struct list *l = (const struct list *) sip;

	for (struct le *le = sip ? list_head(l) : NULL; le; le = le->next) {
		const struct re110_sip_transport *t = le->data;

		if (t && t->sip == sip && t->tp == SIP_TRANSP_TLS && t->tls)
			return t->tls;
	}
	return NULL;
}
