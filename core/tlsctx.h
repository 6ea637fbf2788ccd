/* Internal: TLS set-up from <tls>, certificate generation, hardening. */
#ifndef BW_TLSCTX_H
#define BW_TLSCTX_H

#include <glib.h>
#include "config.h"

/* Load (or on first start generate, in data_dir) the certificate described
 * by the configuration's <tls> element. */
gboolean bw_tls_configure(const bw_config *cfg, GError **err);
void     bw_tls_shutdown(void);
/* Used by config checks: is the certificate/key/PKCS#12 named by <tls>
 * readable and parseable? */
gboolean bw_tls_check_files(const bw_conf_node *tls, GError **err);

/* Refuse a group- or world-writable file or directory (and its parents up
 * to /), with a message that says which and how to fix it. */
gboolean bw_harden_check_path(const char *path, GError **err);
/* After binding: switch to user (no-op when not root or user NULL). */
gboolean bw_harden_drop_privileges(const char *user, const char *data_dir, GError **err);

/* Logging: GLib structured writer with a level per log domain (module). */
void bw_log_setup(const char *default_level);            /* error..debug */
void bw_log_set_domain_level(const char *domain, const char *level);

#endif
