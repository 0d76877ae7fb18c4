// Event histories as Temporal's proto JSON, the form `temporal workflow show --output json` and the Web
// UI's download produce, written and read with the protobufjs copy that @temporalio/proto's own types
// come from. (@temporalio/common's historyToJSON/historyFromJSON load another copy when npm nests
// protobufjs, as it does here beside grpc's protobufjs 7, and then fail with "type must be a Type".)
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const fromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const HistoryMessage = proto.temporal.api.history.v1.History;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** The history as proto JSON (an object, ready for JSON.stringify). */
export function historyToProtoJson(history: History): unknown {
  return protojson.toJson(historyType, HistoryMessage.fromObject(history));
}

/** A history from its proto JSON, as Worker.runReplayHistories takes it. */
export function historyFromProtoJson(json: unknown): History {
  // A history written by a newer server or SDK may carry fields this one does not know; they do not
  // matter for replay.
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
