// Queries for notification preferences and each pool's reminder lead times. A subject without a row
// has the defaults: English, email on, reminders on.
import type { Language } from '../../domain/notifications/catalogue';
import { DEFAULT_REMINDER_LEAD_HOURS } from '../../domain/notifications/reminders';
import type { Queryable } from '../pool';

export interface Preferences {
  subjectId: string;
  language: Language;
  emailEnabled: boolean;
  muteReminders: boolean;
  /** A manager's address for notices; members are written to at their profile's address. */
  email: string | null;
}

interface PreferenceRow {
  subject_id: string;
  language: Language;
  email_enabled: boolean;
  mute_reminders: boolean;
  email: string | null;
}

export const defaultPreferences = (subjectId: string): Preferences => ({ subjectId, language: 'en', emailEnabled: true, muteReminders: false, email: null });

const fromRow = (row: PreferenceRow): Preferences => ({
  subjectId: row.subject_id,
  language: row.language,
  emailEnabled: row.email_enabled,
  muteReminders: row.mute_reminders,
  email: row.email,
});

export async function getPreferences(db: Queryable, subjectIds: string[]): Promise<Map<string, Preferences>> {
  const { rows } = await db.query<PreferenceRow>(
    'SELECT subject_id, language, email_enabled, mute_reminders, email FROM notification_preferences WHERE subject_id = ANY($1)',
    [subjectIds],
  );
  const found = new Map(rows.map((row) => [row.subject_id, fromRow(row)]));
  return new Map(subjectIds.map((id) => [id, found.get(id) ?? defaultPreferences(id)]));
}

export async function putPreferences(db: Queryable, preferences: Preferences): Promise<Preferences> {
  const { rows } = await db.query<PreferenceRow>(
    `INSERT INTO notification_preferences (subject_id, language, email_enabled, mute_reminders, email) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (subject_id) DO UPDATE SET language = excluded.language, email_enabled = excluded.email_enabled,
       mute_reminders = excluded.mute_reminders, email = excluded.email, updated_at = now()
     RETURNING subject_id, language, email_enabled, mute_reminders, email`,
    [preferences.subjectId, preferences.language, preferences.emailEnabled, preferences.muteReminders, preferences.email],
  );
  return fromRow(rows[0]!);
}

/** Email addresses of members from their profiles. */
export async function memberEmails(db: Queryable, memberIds: string[]): Promise<Map<string, { email: string; displayName: string }>> {
  const { rows } = await db.query<{ member_id: string; email: string; display_name: string }>(
    'SELECT member_id, email, display_name FROM members WHERE member_id = ANY($1)',
    [memberIds],
  );
  return new Map(rows.map((row) => [row.member_id, { email: row.email, displayName: row.display_name }]));
}

export async function getReminderLeadHours(db: Queryable, poolId: string): Promise<number[]> {
  const { rows } = await db.query<{ reminder_lead_hours: number[] }>('SELECT reminder_lead_hours FROM notification_pool_settings WHERE pool_id = $1', [poolId]);
  return rows[0]?.reminder_lead_hours ?? [...DEFAULT_REMINDER_LEAD_HOURS];
}

export async function putReminderLeadHours(db: Queryable, poolId: string, leadHours: number[]): Promise<void> {
  await db.query(
    `INSERT INTO notification_pool_settings (pool_id, reminder_lead_hours) VALUES ($1, $2)
     ON CONFLICT (pool_id) DO UPDATE SET reminder_lead_hours = excluded.reminder_lead_hours, updated_at = now()`,
    [poolId, JSON.stringify(leadHours)],
  );
}
