/* srtpc replay: the packet index estimate of RFC 3711 3.3.1 / Appendix A
 * (as libsrtp2 does it: while the highest index is below 2^15 the ROC is
 * taken as 0) and the replay window, a circular bitmap indexed by the
 * packet index modulo its size, so advancing by one clears one bit whatever
 * the window size. */
#include "srtpc-int.h"
#include <string.h>

uint64_t srtpc_rtp_index(const srtpc_window *w, uint16_t seq)
{
	if (!w->any || w->top <= 0x8000)
		return seq;
	uint64_t roc = w->top >> 16, v = roc;
	uint32_t s_l = (uint32_t)(w->top & 0xffff);
	if (s_l < 0x8000) {
		if ((uint32_t)seq > s_l + 0x8000 && roc > 0)
			v = roc - 1;
	} else if (s_l - 0x8000 > seq) {
		v = roc + 1;
	}
	return v << 16 | seq;
}

bool srtpc_window_check(const srtpc *c, const srtpc_window *w, uint64_t idx)
{
	if (!w->any || idx > w->top)
		return true;
	if (w->top - idx >= c->window)
		return false;
	uint64_t b = idx & c->mask;
	return !((w->bits[b >> 6] >> (b & 63)) & 1);
}

void srtpc_window_commit(const srtpc *c, srtpc_window *w, uint64_t idx)
{
	if (!w->any) {
		memset(w->bits, 0, c->words * sizeof(uint64_t));
		w->top = idx;
		w->any = true;
	} else if (idx > w->top) {
		uint64_t d = idx - w->top;
		if (d > c->mask) {
			memset(w->bits, 0, c->words * sizeof(uint64_t));
		} else {
			for (uint64_t j = w->top + 1; j <= idx; j++) {
				uint64_t b = j & c->mask;
				w->bits[b >> 6] &= ~(1ULL << (b & 63));
			}
		}
		w->top = idx;
	}
	uint64_t b = idx & c->mask;
	w->bits[b >> 6] |= 1ULL << (b & 63);
}
