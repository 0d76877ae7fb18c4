// Dynamic configuration for the local dev server (passed as --dynamic-config-value key=JSON).
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, unknown> = {
  // Newly registered search attributes become usable at once instead of after a cache refresh.
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  // Pools are steered through workflow updates; recent servers enable them by default, and writing it
  // out keeps an older server from refusing them.
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
};
