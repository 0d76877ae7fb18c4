// The notifications product's workflows, registered on the pools worker beside the workflows they hear from.
export { poolNotices } from './pool-notices';
export { webhookEndpoint } from './webhook-endpoint';
export { managerDigest } from './manager-digest';
