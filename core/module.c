/* The module-facing accessors of bw_module (module.h). The handle is owned
 * by the loader; these only read or set fields, on the management thread. */
#include "loaderint.h"

const char *bw_module_name(const bw_module *m)
{
	return m ? m->name : NULL;
}

const bw_conf_node *bw_module_conf(const bw_module *m)
{
	return m && m->entry ? m->entry->node : NULL;
}

void bw_module_set_data(bw_module *m, void *data)
{
	if (m)
		m->data = data;
}

void *bw_module_data(const bw_module *m)
{
	return m ? m->data : NULL;
}
