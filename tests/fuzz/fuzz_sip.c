/* libFuzzer harness for module sip's parsing on top of libre: decode the
 * input as a SIP message with libre's sip_msg_decode, then run what the
 * module runs on it without any network or module state: the RFC 3261 8.2
 * request checks, the Digest credentials parser on every Authorization /
 * Proxy-Authorization header, Contact decoding and expiry; and the whole
 * input as a Digest header value and as an allow-list CIDR. Seeds: the RFC
 * 4475 torture messages (tests/fuzz/corpus/sip). */
#include <stdint.h>
#include <string.h>
#include "sipint-core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fuzz_digest(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	sip_digest d;

	(void)msg; (void)arg;
	if (sip_digest_parse(&hdr->val, &d) == 0 && d.username.l == 0 && d.username.p == NULL)
		__builtin_trap();   /* parse success promises a username */
	return false;
}

static bool fuzz_contact(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	struct sip_addr addr;

	(void)arg;
	if (sip_addr_decode(&addr, &hdr->val) == 0)
		(void)sip_reg_expires(&addr, &msg->expires, 600);
	return false;
}

static void fuzz_message(const uint8_t *data, size_t size)
{
	struct mbuf *mb = mbuf_alloc(size + 1);
	struct sip_msg *msg = NULL;

	if (mb == NULL)
		return;
	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;
	if (sip_msg_decode(&msg, mb) == 0) {
		if (msg->req) {
			const char *reason = NULL;
			char hdrs[300];
			uint16_t code = sip_request_check(msg, &reason, hdrs, sizeof(hdrs));
			if (code && reason == NULL)
				__builtin_trap();
		}
		sip_msg_hdr_apply(msg, true, SIP_HDR_AUTHORIZATION, fuzz_digest, NULL);
		sip_msg_hdr_apply(msg, true, SIP_HDR_PROXY_AUTHORIZATION, fuzz_digest, NULL);
		sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, fuzz_contact, NULL);
		mem_deref(msg);
	}
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl pl = { (const char *)data, size };
	sip_digest d;
	char buf[96];
	sip_cidr c;
	struct sa sa;

	if (size > 65535)
		return 0;
	fuzz_message(data, size);
	(void)sip_digest_parse(&pl, &d);
	if (size < sizeof(buf)) {
		memcpy(buf, data, size);
		buf[size] = '\0';
		if (sip_cidr_parse(buf, &c) && sa_set_str(&sa, "192.0.2.7", 5060) == 0)
			(void)sip_cidr_match(&c, &sa);
	}
	return 0;
}
