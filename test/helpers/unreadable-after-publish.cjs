// Preloaded into a CLI run (NODE_OPTIONS=--require …): once a file whose name ends in
// LIFEBOAT_TEST_UNREADABLE is published (renamed or linked into place), every read of it fails with
// EIO, as a failing disk's would, from its verify on.
const fs = require('node:fs');
const suffix = process.env.LIFEBOAT_TEST_UNREADABLE;
let published = false;
const publish = target => {
	if (suffix && String(target).endsWith(suffix)) published = true;
};
const watched = new Set();
const eio = () => Object.assign(new Error('EIO: i/o error, read'), {code: 'EIO', errno: -5, syscall: 'read'});
const ours = file => published && String(file).endsWith(suffix);
for (const name of ['renameSync', 'linkSync']) {
	const original = fs[name];
	fs[name] = function (from, to) {
		const done = original.apply(this, arguments);
		publish(to);
		return done;
	};
}
const rename = fs.promises.rename;
fs.promises.rename = async function (from, to) {
	const done = await rename.apply(this, arguments);
	publish(to);
	return done;
};
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
const openPromise = fs.promises.open;
fs.promises.open = async function (file) {
	const handle = await openPromise.apply(this, arguments);
	if (ours(file)) {
		handle.read = async () => {
			throw eio();
		};
	}
	return handle;
};
const read = fs.read;
fs.read = function (fd, ...rest) {
	if (watched.has(fd)) return process.nextTick(rest[rest.length - 1], eio());
	return read.call(this, fd, ...rest);
};
const readSync = fs.readSync;
fs.readSync = function (fd) {
	if (watched.has(fd)) throw eio();
	return readSync.apply(this, arguments);
};
