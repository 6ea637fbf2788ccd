/* mod_hello: the smallest real plugin, and the SDK's worked example.
 *
 * Contract: reads `greeting` (default "hello") from its <module> element;
 * answers every "hello.ping" event with a "hello.pong" event carrying the
 * ping's `id` and the greeting; provides the service "hello" version 1
 * (struct bw_hello_v1 below); adds the control command `bulwarkctl hello
 * [NAME]`. Uses only <bulwark/bulwark.h>, so it builds
 * out of tree with `pkg-config --cflags --libs bulwark`. */
#define G_LOG_DOMAIN "hello"
#include <errno.h>
#include <string.h>
#include <bulwark/bulwark.h>

/* Service "hello" version 1. A consumer copies this struct, lists "hello"
 * in its descriptor's `requires`, and calls bw_service_lookup("hello", 1).
 * Changing the struct means a new version number. */
struct bw_hello_v1 {
	const char *(*greeting)(void);
};

/* A bound on what a ping may make us echo back: the id is the caller's. */
#define HELLO_ID_MAX 64

typedef struct hello_state {
	char   *greeting;
	bw_sub *sub;
} hello_state;

/* The service function takes no context, so the greeting of the one
 * running instance lives here; set in init, cleared in fini. */
static const char *hello_current;

static const char *hello_greeting(void)
{
	return hello_current ? hello_current : "hello";
}

static const struct bw_hello_v1 hello_service = {
	.greeting = hello_greeting,
};

static void hello_on_ping(const bw_event *ev, void *user_data)
{
	const hello_state *st = user_data;
	const char *id = bw_event_get(ev, "id");
	bw_event *pong;

	if (id == NULL)
		id = "";
	pong = bw_event_new("hello.pong");
	if (strlen(id) > HELLO_ID_MAX)
		bw_event_addf(pong, "id", "%.*s", HELLO_ID_MAX, id);
	else
		bw_event_add(pong, "id", id);
	bw_event_add(pong, "greeting", st->greeting);
	bw_event_publish(pong);
}

/* `bulwarkctl hello [NAME]`: a read-only command, so nothing to audit. */
static gboolean hello_command(bw_ctl_reply *out, guint argc, const char *const *argv,
			      const char *actor, void *user_data, GError **err)
{
	const hello_state *st = user_data;

	bw_ctl_printf(out, "%s, %.64s", st->greeting, argc > 1 ? argv[1] : "world");
	return TRUE;
}

static int hello_init(bw_module *m)
{
	hello_state *st = g_new0(hello_state, 1);

	st->greeting = g_strdup(bw_conf_str(bw_module_conf(m), "greeting", "hello"));
	hello_current = st->greeting;
	bw_module_set_data(m, st);
	return 0;
}

static int hello_start(bw_module *m)
{
	hello_state *st = bw_module_data(m);
	int rc;

	st->sub = bw_bus_subscribe("hello.ping", NULL, 0, hello_on_ping, st);
	if (st->sub == NULL) {
		g_warning("hello: start: cannot subscribe to hello.ping events");
		return EINVAL;
	}
	rc = bw_service_provide(m, "hello", 1, &hello_service);
	if (rc != 0) {
		g_warning("hello: start: cannot provide service hello v1: %s",
			  g_strerror(rc));
		bw_bus_unsubscribe(st->sub);
		st->sub = NULL;
		return rc;
	}
	rc = bw_ctl_command_add("hello", 1, 2, "hello [NAME]", "greet (plugin hello)",
				hello_command, st);
	if (rc != 0)
		g_warning("hello: start: cannot add the control command: %s", g_strerror(rc));
	g_message("greeting: %s", st->greeting);
	return 0;
}

static void hello_stop(bw_module *m)
{
	hello_state *st = bw_module_data(m);

	/* The loader withdraws our service itself; the subscription and the
	 * control command are ours. */
	bw_ctl_command_remove("hello");
	if (st->sub != NULL) {
		bw_bus_unsubscribe(st->sub);
		st->sub = NULL;
	}
}

static void hello_fini(bw_module *m)
{
	hello_state *st = bw_module_data(m);

	if (st == NULL)
		return;
	if (hello_current == st->greeting)
		hello_current = NULL;
	g_free(st->greeting);
	g_free(st);
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "hello",
	.version = "1.0.0",
	.summary = "Example plugin: answers hello.ping with hello.pong",
	.requires = NULL,
	.init = hello_init,
	.start = hello_start,
	.stop = hello_stop,
	.fini = hello_fini,
);
