// Names of the Temporal headers Poolflow sets on the calls it makes.

/** The HTTP request that caused a workflow start, update or signal, for correlating logs. */
export const REQUEST_ID_HEADER = 'poolflow-request-id';

/** Who caused it: `{ subject, role }` of the API's caller, kept in the workflow's history with the command. */
export const ACTOR_HEADER = 'poolflow-actor';
