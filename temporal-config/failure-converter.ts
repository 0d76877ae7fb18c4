// The failure converter of every Poolflow client and worker, workflow sandbox included (the worker
// loads it by path): error messages and stack traces travel as an encoded payload, so the payload
// codec encrypts them like any other payload instead of Temporal storing them in plain text.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
