// Seeds the three preset tiers (domain/assessments/presets.ts): each preset version is inserted as a
// draft once and activated when its tier has no active pack, so ops' later versions are never undone.
// Idempotent; the assessments worker runs it at start-up.
import { PRESET_PACKS } from '../../domain/assessments/presets';
import type { Db } from '../pool';
import { transaction } from '../transaction';
import { activatePack, findActivePack, findPack, insertDraftPack, packIdOf } from './rule-packs';

export const PRESET_AUTHOR = 'poolflow-presets';

export async function seedPresetPacks(db: Db): Promise<void> {
  for (const pack of PRESET_PACKS) {
    await transaction(db, async (client) => {
      await insertDraftPack(client, pack, PRESET_AUTHOR);
      const stored = await findPack(client, packIdOf(pack.tierId, pack.version));
      if (stored?.status === 'draft' && !(await findActivePack(client, pack.tierId))) await activatePack(client, pack.tierId, pack.version);
    });
  }
}
