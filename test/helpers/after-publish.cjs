// Preloaded into a CLI run (NODE_OPTIONS=--require …) to damage a backup right after it is
// published (renamed or linked into place), before its verify reads it back:
// - LIFEBOAT_TEST_ROT=SUFFIX: one byte in the middle of the file whose name ends in SUFFIX is
//   flipped, as a bad disk or another writer would (the first one published in the run only: an
//   earlier backup put back under that name is left whole);
// - LIFEBOAT_TEST_UNREADABLE=SUFFIX: every read of it fails with EIO from then on, as a failing
//   disk's would (with LIFEBOAT_TEST_UNREADABLE_NOW=1, from the start: a backup already there; with
//   LIFEBOAT_TEST_UNREADABLE_FROM=N, only reads at byte N and after: its first bytes read).
const fs = require('node:fs');
const rotten = process.env.LIFEBOAT_TEST_ROT;
const unreadable = process.env.LIFEBOAT_TEST_UNREADABLE;
let rotted = false;
let published = Boolean(unreadable) && process.env.LIFEBOAT_TEST_UNREADABLE_NOW === '1';

function onPublished(target) {
	if (unreadable && String(target).endsWith(unreadable)) published = true;
	if (!rotten || rotted || !String(target).endsWith(rotten) || !fs.statSync(target).isFile()) return;
	rotted = true;
	const bytes = fs.readFileSync(target);
	bytes[bytes.length >> 1] ^= 0xff;
	fs.writeFileSync(target, bytes);
}

for (const name of ['renameSync', 'linkSync']) {
	const original = fs[name];
	fs[name] = function (from, to) {
		const done = original.apply(this, arguments);
		onPublished(to);
		return done;
	};
}
const rename = fs.promises.rename;
fs.promises.rename = async function (from, to) {
	const done = await rename.apply(this, arguments);
	onPublished(to);
	return done;
};

// Reads of the unreadable file, once published: by descriptor (sync and callback) and by handle.
const watched = new Set();
const eio = () => Object.assign(new Error('EIO: i/o error, read'), {code: 'EIO', errno: -5, syscall: 'read'});
const ours = file => published && String(file).endsWith(unreadable);
const from = Number(process.env.LIFEBOAT_TEST_UNREADABLE_FROM ?? 0);
/** Whether a read (its arguments after the descriptor) is refused: every one, or those at `from` and after. */
function refused(args) {
	if (from === 0) return true;
	const options = args[0] && typeof args[0] === 'object' && !ArrayBuffer.isView(args[0]) ? args[0] : undefined;
	const position = options ? options.position : args[3];
	return typeof position !== 'number' && typeof position !== 'bigint' ? true : Number(position) >= from;
}
const openSync = fs.openSync;
fs.openSync = function (file) {
	const fd = openSync.apply(this, arguments);
	if (ours(file)) watched.add(fd);
	return fd;
};
const open = fs.open;
fs.open = function (file, ...rest) {
	const callback = rest.pop();
	return open.call(this, file, ...rest, (error, fd) => {
		if (!error && ours(file)) watched.add(fd);
		callback(error, fd);
	});
};
const openHandle = fs.promises.open;
fs.promises.open = async function (file) {
	const handle = await openHandle.apply(this, arguments);
	if (ours(file)) {
		const original = handle.read.bind(handle);
		handle.read = async (...args) => {
			if (refused(args)) throw eio();
			return original(...args);
		};
	}
	return handle;
};
const read = fs.read;
fs.read = function (fd, ...rest) {
	if (watched.has(fd) && refused(rest.slice(0, -1))) return process.nextTick(rest[rest.length - 1], eio());
	return read.call(this, fd, ...rest);
};
const readSync = fs.readSync;
fs.readSync = function (fd, ...rest) {
	if (watched.has(fd) && refused(rest)) throw eio();
	return readSync.apply(this, arguments);
};
