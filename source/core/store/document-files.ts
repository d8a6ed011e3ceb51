import type Database from 'better-sqlite3';

/**
 * The documents whose file is `name` (documents/files/<id>.<ext>). Ids and extensions may hold
 * dots, so one name can be the file of several rows (`a.b` + `c` and `a` + `b.c`), even of
 * several tenants: backup and restore use this to leave a file that is also another tenant's alone.
 */
export function documentFileOwners(db: Database.Database, name: string): Array<{id: string; tenant: string}> {
	const owners: Array<{id: string; tenant: string}> = [];
	const statement = db.prepare(`SELECT id, tenant_id AS tenant FROM documents WHERE id = ? AND ext = ?`);
	for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
		for (const row of statement.all(name.slice(0, dot), name.slice(dot + 1)) as Array<{id: unknown; tenant: unknown}>) {
			if (typeof row.id === 'string' && typeof row.tenant === 'string') owners.push({id: row.id, tenant: row.tenant});
		}
	}
	return owners;
}

/** True when another tenant than `tenant` has a document whose file is `name`. */
export function fileSharedWithAnotherTenant(db: Database.Database, name: string, tenant: string): boolean {
	return documentFileOwners(db, name).some(owner => owner.tenant !== tenant);
}
