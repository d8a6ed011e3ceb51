/**
 * What an additive restore writes into the quarantine: the summary format shared with the
 * quarantine module (core/quarantine), which reads, accepts and discards what restore wrote.
 * Restore sits below the quarantine: it writes conflicts here, never imports core/quarantine.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {CategoryId} from '../store/schema.js';
import type {RestoreMode} from './restore-types.js';

export const QUARANTINE_KIND = 'lifeboat-quarantine';

export type QuarantineSummary = {
	restoreId: string;
	createdAt: string;
	mode: RestoreMode;
	backup: {id: string; name: string; createdAt: string};
	source: string;
	intoTenant: string | null;
	/** `<category>/<table>` → rows quarantined. */
	tables: Record<string, number>;
	files: Array<{category: CategoryId; target: string}>;
};

export type StoredSummary = QuarantineSummary & {kind: typeof QUARANTINE_KIND};

export function writeQuarantineSummary(dir: string, summary: QuarantineSummary): void {
	fs.mkdirSync(dir, {recursive: true});
	const stored: StoredSummary = {kind: QUARANTINE_KIND, ...summary};
	fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(stored, null, 2) + '\n');
}
