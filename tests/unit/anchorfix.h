/* The anchor fixture shared by test_sdp and test_sdp_offer: a relay on a
 * random 100-port range of loopback, an anchor on it, and the secure
 * flags it reported per leg (leg0/leg1 stand in for the engine's
 * channels). */
#ifndef BW_TEST_ANCHORFIX_H
#define BW_TEST_ANCHORFIX_H

#include <glib.h>
#include "relay.h"
#include "sdpanchor.h"

typedef struct fixture {
	bw_relay *relay;
	bw_anchor *anchor;
	bw_relay_config cfg;
	int leg0, leg1;
} fixture;

void fx_setup(fixture *f, gconstpointer data);
void fx_teardown(fixture *f, gconstpointer data);
/* -1 when the anchor said nothing about leg, else its secure flag. */
int secure_of(void *leg);
/* Forgets every flag reported so far. */
void secure_forget(void);
/* Whether port on 127.0.0.1 is free for UDP (nobody bound it). */
gboolean port_free(guint port);

#endif
