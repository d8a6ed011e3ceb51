/**
 * Imports never interleave: a second import into a tenant while one runs is refused (409), and
 * imports into different tenants take turns writing the gateway (one restore transaction at a
 * time). Exports and dry runs are not held back by writes of other tenants.
 */
import {HttpError} from './http-errors.js';

export class ImportLock {
	private readonly busy = new Set<string>();
	private tail: Promise<void> = Promise.resolve();

	/**
	 * Claims the tenant, or throws 409 when an import into it is running. Returns the release,
	 * which frees this claim once however often it is called (never a later import's claim).
	 */
	claim(tenantId: string): () => void {
		if (this.busy.has(tenantId)) throw new HttpError(409, 'Conflict', 'an import into this tenant is already running; retry when it has finished');
		this.busy.add(tenantId);
		let held = true;
		return () => {
			if (!held) return;
			held = false;
			this.busy.delete(tenantId);
		};
	}

	/** Runs `write` once every earlier write has finished (whatever its outcome). */
	async serialize<T>(write: () => Promise<T>): Promise<T> {
		const previous = this.tail;
		let done!: () => void;
		this.tail = new Promise(resolve => (done = resolve));
		try {
			await previous;
			return await write();
		} finally {
			done();
		}
	}
}

/**
 * At most `size` backups are written at once; later ones wait their turn (never refused): on a
 * small host 50 exports at once only share the same cores and hold 50 archives' buffers.
 */
export class Slots {
	private running = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly size: number) {}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.running >= this.size) await new Promise<void>(resolve => this.waiting.push(resolve));
		else this.running++;
		try {
			return await work();
		} finally {
			const next = this.waiting.shift();
			if (next) next();
			else this.running--;
		}
	}
}

/** The server's admission rules: imports never interleave; a bounded number of backups at once. */
export type Gates = {imports: ImportLock; exports: Slots; conversions: Slots};
