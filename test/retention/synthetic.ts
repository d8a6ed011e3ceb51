/** Synthetic backup listings for retention tests: summaries only, as listDestination gives them. */
import type {RetentionCandidate} from '../../source/core/retention/index.js';
import {CATEGORIES} from '../../source/core/store/schema.js';

const ALL = CATEGORIES.map(category => category.id);

export type Synthetic = {at: string; kind?: 'full' | 'incremental'; base?: string; full?: string; tenant?: string; tenantId?: string; id?: string; gateway?: string | null};

/** A backup named after its UTC moment ("2026-11-30 03:00"), id the same unless given. */
export function backup(spec: Synthetic): RetentionCandidate & {summary: NonNullable<RetentionCandidate['summary']>} {
	const iso = `${spec.at.replace(' ', 'T')}:00.000Z`;
	const id = spec.id ?? spec.at;
	return {
		fileName: `b-${spec.at.replace(/[-: ]/g, '')}${spec.tenant ? `-${spec.tenant}` : ''}${spec.gateway ? `-${spec.gateway}` : ''}.zip`,
		summary: {
			id,
			name: spec.at,
			createdAt: iso,
			backupKind: spec.kind ?? 'full',
			baseBackupId: spec.base ?? null,
			fullBackupId: spec.full ?? null,
			tenant: spec.tenant ?? null,
			...(spec.tenantId === undefined ? {} : {tenantId: spec.tenantId}),
			...(spec.gateway === undefined ? {} : {gateway: spec.gateway}),
			categories: [...ALL],
		},
	};
}

/** "YYYY-MM-DD" of each day from `first` to `last` inclusive (UTC). */
export function days(first: string, last: string): string[] {
	const out: string[] = [];
	for (let time = Date.parse(`${first}T00:00:00Z`); time <= Date.parse(`${last}T00:00:00Z`); time += 86_400_000) out.push(new Date(time).toISOString().slice(0, 10));
	return out;
}
