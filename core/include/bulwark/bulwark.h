/* The Bulwark SDK: one header for modules and plugins.
 *   pkg-config --cflags --libs bulwark
 * See docs/module-guide.md. */
#ifndef BULWARK_H
#define BULWARK_H
#include <bulwark/abi.h>
#include <bulwark/conf.h>
#include <bulwark/module.h>
#include <bulwark/bus.h>
#include <bulwark/service.h>
#include <bulwark/store.h>
#include <bulwark/audit.h>
#include <bulwark/thread.h>
#include <bulwark/tls.h>
#include <bulwark/metrics.h>
#include <bulwark/alarm.h>
#include <bulwark/call.h>
#include <bulwark/ctl.h>
#endif
