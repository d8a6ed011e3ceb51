import {Readable} from 'node:stream';

/**
 * A remote object's body as a stream that fails when the server sends nothing for `idleMs` while
 * it is read: the S3 and Azure SDKs bound a request until its answer's headers, not its body, so a
 * server that went silent mid-body (stopped, a network that drops packets without a reset) held
 * a download, a verify or a backup's read-back forever. Only time spent waiting for the server
 * counts: a reader that takes its time (backpressure) never times the stream out. The error is
 * `fail(what)`'s (a destination error: exit 4), the body is destroyed, and so is what reads it; a
 * body that closes before its end without an error fails the same way.
 */
export function failWhenIdle(body: Readable, idleMs: number, fail: (what: string) => Error): Readable {
	let timer: NodeJS.Timeout | undefined;
	let wanted = false;
	let ended = false;
	const disarm = () => {
		if (timer) clearTimeout(timer);
		timer = undefined;
	};
	const arm = () => {
		timer ??= setTimeout(() => {
			timer = undefined;
			const error = fail(`the server sent nothing for ${idleMs / 1000} s`);
			body.destroy(error);
			out.destroy(error);
		}, idleMs);
	};
	const pump = () => {
		while (wanted && !ended) {
			const chunk = body.read() as Buffer | null;
			if (chunk === null) {
				// Waiting for the server (unless the body has ended: its 'end' comes next).
				if (!body.readableEnded) arm();
				return;
			}
			disarm();
			wanted = out.push(chunk);
		}
	};
	const out = new Readable({
		read() {
			wanted = true;
			pump();
		},
		destroy(error, callback) {
			disarm();
			if (!body.destroyed) body.destroy(error ?? undefined);
			callback(error);
		},
	});
	body.on('readable', pump);
	body.once('end', () => {
		ended = true;
		disarm();
		out.push(null);
	});
	body.once('error', error => {
		disarm();
		out.destroy(error);
	});
	body.once('close', () => {
		disarm();
		if (!ended && !out.destroyed) out.destroy(fail('the connection closed before the end of the object'));
	});
	return out;
}
