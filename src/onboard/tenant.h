/* One tenant's run (run.h): its steps in order, stopping at the first
 * failure; artefacts under the fleet's artefacts directory. */
#ifndef DG_ONBOARD_TENANT_H
#define DG_ONBOARD_TENANT_H

#include "run.h"

void dg_tenant_run_init(dg_tenant_run *r, const dg_tenant *t);
void dg_tenant_run_steps(dg_fleet *f, dg_tenant_run *r);
/* A tenant the run never started (Ctrl-C): interrupted, with FLEET012. */
void dg_tenant_run_not_started(dg_fleet *f, dg_tenant_run *r);
void dg_tenant_run_release(dg_tenant_run *r);

/* Shared with run.c.  The state entry of a tenant: read under f->lock. */
const cJSON *dg_fleet_state_of(const dg_fleet *f, const char *id);
void dg_fleet_state_record(dg_fleet *f, const dg_tenant_run *r);
struct dg_endpoint *dg_fleet_endpoint_acquire(dg_fleet *f, const char *url);
void dg_fleet_endpoint_release(dg_fleet *f, struct dg_endpoint *ep);
void dg_fleet_progress(dg_fleet *f);

#endif
