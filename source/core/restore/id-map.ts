import crypto from 'node:crypto';
import type {RowValues, TableCodec} from '../rows/table-codec.js';

/**
 * How backup ids become live ids. Without --into-tenant ids are kept. With it, every id is
 * replaced by `<prefix>_<16 hex of sha256(target tenant id, old id)>`: deterministic, so a second
 * restore into the same tenant finds the same ids (idempotent), the same old id maps to the same new
 * id in every table, `ref` column and file path (references survive), and two target tenants get
 * disjoint ids.
 */
export type IdMapper = {
	readonly remaps: boolean;
	readonly sourceTenantId: string | null;
	readonly targetTenantId: string | null;
	id(oldId: string): string;
	/** Remaps id, tenant_id, ref columns and id lists of a row in place; returns it. */
	values(codec: TableCodec, values: RowValues): RowValues;
};

export function remapId(targetTenantId: string, oldId: string): string {
	// Keep a short kind prefix (`agt_`) when there is a plain one, so remapped ids stay readable.
	const prefix = /^[A-Za-z0-9]{1,11}_/.exec(oldId)?.[0] ?? '';
	return prefix + crypto.createHash('sha256').update(`${targetTenantId}\u0000${oldId}`).digest('hex').slice(0, 16);
}

export const IDENTITY_MAPPER: IdMapper = {
	remaps: false,
	sourceTenantId: null,
	targetTenantId: null,
	id: oldId => oldId,
	values: (_codec, values) => values,
};

export function tenantMapper(sourceTenantId: string, targetTenantId: string): IdMapper {
	if (sourceTenantId === targetTenantId) return {...IDENTITY_MAPPER, sourceTenantId, targetTenantId};
	const cache = new Map<string, string>();
	const id = (oldId: string) => {
		let mapped = cache.get(oldId);
		if (mapped === undefined) {
			mapped = remapId(targetTenantId, oldId);
			if (cache.size > 100_000) cache.clear();
			cache.set(oldId, mapped);
		}
		return mapped;
	};
	return {
		remaps: true,
		sourceTenantId,
		targetTenantId,
		id,
		values(codec, values) {
			values[0] = id(String(values[0]));
			values[1] = targetTenantId;
			codec.columns.forEach((column, index) => {
				const value = values[index];
				// An empty reference points nowhere in any tenant: it stays empty.
				if (typeof value !== 'string' || value === '') return;
				if (column.ref) values[index] = id(value);
				else if (column.refList) values[index] = remapIdList(value, id);
			});
			return values;
		},
	};
}

/**
 * Remaps the ids a refList holds: the string items of a JSON array, except '' (an empty reference
 * points nowhere, as for `ref` columns and as reference-check's listedIds reads it). Everything
 * else (other items, nesting, spacing, number spelling) is kept byte for byte: the text is only
 * edited where a remapped string item stands, never re-serialized. Text that is not a JSON array
 * is kept as it is.
 */
export function remapIdList(text: string, id: (oldId: string) => string): string {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return text;
	}
	if (!Array.isArray(parsed)) return text;
	let out = '';
	let copied = 0;
	let depth = 0;
	for (let index = 0; index < text.length; index++) {
		const char = text[index];
		if (char === '[' || char === '{') depth++;
		else if (char === ']' || char === '}') depth--;
		else if (char === '"') {
			const start = index;
			for (index++; text[index] !== '"'; index++) if (text[index] === '\\') index++;
			if (depth !== 1) continue;
			const item = JSON.parse(text.slice(start, index + 1)) as string;
			if (item === '') continue;
			out += text.slice(copied, start) + JSON.stringify(id(item));
			copied = index + 1;
		}
	}
	return out + text.slice(copied);
}

/** Deterministic id of a tenant created by --into-tenant from a new slug. */
export function newTenantId(slug: string): string {
	return `ten_${crypto.createHash('sha256').update(`lifeboat-tenant\u0000${slug}`).digest('hex').slice(0, 16)}`;
}
