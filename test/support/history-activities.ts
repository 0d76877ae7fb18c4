// The activities a workflow ran, read from its history: ordinary activities from their scheduled events,
// local activities from their markers, whose data (a JSON payload the SDK writes) names the activity type.
import type { History } from '@temporalio/common/lib/proto-utils';

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function activityTypesRun(history: History): string[] {
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [scheduled];
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    if (!data) throw new Error(`local activity marker ${String(event.eventId)} carries no data`);
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; activityType?: string };
    const type = parsed.activity_type ?? parsed.activityType;
    if (!type) throw new Error(`local activity marker ${String(event.eventId)} names no activity type`);
    return [type];
  });
}
