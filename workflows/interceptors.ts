// Workflow interceptors, loaded into every workflow's sandbox: each start, update and signal that came
// from an API request is logged with that request's ID, so one ID finds a request in both the API's and
// the worker's logs.
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import { log, type WorkflowInterceptors } from '@temporalio/workflow';
import { ACTOR_HEADER, REQUEST_ID_HEADER } from '../temporal-config/headers';

function requestIdOf(headers: Headers): string | undefined {
  const payload = headers[REQUEST_ID_HEADER];
  return payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;
}

function actorOf(headers: Headers): { subject: string; role: string } | undefined {
  const payload = headers[ACTOR_HEADER];
  return payload ? defaultPayloadConverter.fromPayload<{ subject: string; role: string }>(payload) : undefined;
}

// Plain functions that hand back next()'s promise: an async wrapper would add promises to every start,
// update and signal, and the SDK captures a stack trace for each promise a workflow creates.
export const interceptors = (): WorkflowInterceptors => ({
  inbound: [
    {
      execute(input, next) {
        const requestId = requestIdOf(input.headers);
        if (requestId) log.info('workflow started by request', { requestId, actor: actorOf(input.headers) });
        return next(input);
      },
      handleUpdate(input, next) {
        const requestId = requestIdOf(input.headers);
        if (requestId) log.info('update from request', { requestId, actor: actorOf(input.headers), update: input.name });
        return next(input);
      },
      handleSignal(input, next) {
        const requestId = requestIdOf(input.headers);
        if (requestId) log.info('signal from request', { requestId, actor: actorOf(input.headers), signal: input.signalName });
        return next(input);
      },
    },
  ],
});
