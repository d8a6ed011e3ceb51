'use strict';
/**
 * s3rver 3.7.1 as a child process of the tests (test/servers/s3-server.ts), so a test can kill it
 * mid-upload and start it again on the same data folder.
 *
 *   node s3rver-child.cjs DIR PORT BUCKET...      (PORT 0: any free port)
 *
 * Prints one line `{"port":N}` once it listens. s3rver lacks three calls of the S3 API that the
 * S3 destination's cleanup needs, ListMultipartUploads (GET /bucket?uploads), ListParts
 * (GET /bucket/key?uploadId=ID) and AbortMultipartUpload (DELETE /bucket/key?uploadId=ID): they
 * are added here on s3rver's own upload folders (DATA/bucket/._S3rver_uploads/ID/{key,metadata,
 * N,N.md5}), after s3rver's own signature check, answering in the XML shape S3 documents. An
 * upload's Initiated time is its `key` file's mtime and a part's LastModified its file's mtime,
 * so a test can age them with fs.utimes.
 *
 * One s3rver bug is mended: its putObject and putPart answer once the bytes have passed its MD5
 * step, before its write stream has flushed them to the file, so under load a HEAD or GET right
 * after a finished PUT could see the object short or empty, and a CompleteMultipartUpload could
 * read a part short. Both are replaced by the same steps that answer only once the file is
 * written and closed. Everything else is stock s3rver.
 */
const fs = require('node:fs/promises');
const path = require('node:path');
const S3rver = require('s3rver');
const authentication = require('s3rver/lib/middleware/authentication');
const S3Error = require('s3rver/lib/models/error');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const crypto = require('node:crypto');
const {createWriteStream} = require('node:fs');
const {Transform} = require('node:stream');
const {pipeline} = require('node:stream/promises');

const [directory, port, ...buckets] = process.argv.slice(2);

const escapeXml = text => String(text).replace(/[<>&'"]/g, c => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;'})[c]);

function uploadsFolder(bucket) {
	return path.join(directory, bucket, '._S3rver_uploads');
}

async function listUploads(bucket, prefix) {
	const folder = uploadsFolder(bucket);
	const ids = await fs.readdir(folder).catch(error => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
	const uploads = [];
	for (const id of ids) {
		const key = await fs.readFile(path.join(folder, id, 'key'), 'utf8').catch(() => undefined);
		if (key === undefined || !key.startsWith(prefix)) continue;
		const {mtime} = await fs.stat(path.join(folder, id, 'key'));
		uploads.push({id, key, initiated: mtime});
	}
	return uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
}

async function listMultipartUploads(ctx) {
	const {bucket} = ctx.params;
	await fs.access(path.join(directory, bucket)).catch(() => {
		throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', {BucketName: bucket});
	});
	const prefix = ctx.query.prefix ?? '';
	const uploads = await listUploads(bucket, prefix);
	const rows = uploads.map(upload => `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.id}</UploadId><Initiated>${upload.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
	ctx.type = 'application/xml';
	ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${rows.join('')}</ListMultipartUploadsResult>`;
}

async function listParts(ctx) {
	const id = String(ctx.query.uploadId);
	const folder = path.join(uploadsFolder(ctx.params.bucket), id);
	const names = /^[0-9a-f]+$/.test(id) ? await fs.readdir(folder).catch(() => undefined) : undefined;
	if (!names || !names.includes('key')) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', {UploadId: id});
	const marker = Number(ctx.query['part-number-marker'] ?? 0);
	const maxParts = Math.min(1000, Number(ctx.query['max-parts'] ?? 1000));
	const numbers = names.filter(name => /^\d+$/.test(name)).map(Number).filter(number => number > marker).sort((a, b) => a - b);
	const page = numbers.slice(0, maxParts);
	const rows = [];
	for (const number of page) {
		const {mtime, size} = await fs.stat(path.join(folder, String(number)));
		const md5 = await fs.readFile(path.join(folder, `${number}.md5`), 'utf8').catch(() => '');
		rows.push(`<Part><PartNumber>${number}</PartNumber><LastModified>${mtime.toISOString()}</LastModified><ETag>"${escapeXml(md5)}"</ETag><Size>${size}</Size></Part>`);
	}
	const truncated = numbers.length > page.length;
	ctx.type = 'application/xml';
	ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(ctx.params.bucket)}</Bucket><Key>${escapeXml(ctx.params.key)}</Key><UploadId>${id}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>${truncated ? `<NextPartNumberMarker>${page.at(-1)}</NextPartNumberMarker>` : ''}<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${rows.join('')}</ListPartsResult>`;
}

async function abortMultipartUpload(ctx) {
	const id = String(ctx.query.uploadId);
	const folder = path.join(uploadsFolder(ctx.params.bucket), id);
	if (!/^[0-9a-f]+$/.test(id) || !(await fs.access(folder).then(() => true, () => false))) {
		throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', {UploadId: id});
	}
	await fs.rm(folder, {recursive: true, force: true});
	ctx.status = 204;
}

/** Writes `content` (a Buffer or a stream) to `file`; resolves with its size and MD5 once the file is closed. */
async function writeFully(file, content) {
	await fs.mkdir(path.dirname(file), {recursive: true});
	const md5 = crypto.createHash('md5');
	let size = 0;
	const counter = new Transform({
		transform(chunk, encoding, callback) {
			md5.update(chunk);
			size += chunk.length;
			callback(null, chunk);
		},
	});
	const source = Buffer.isBuffer(content) ? [content] : content;
	await pipeline(source, counter, createWriteStream(file));
	return [size, md5.digest('hex')];
}

FilesystemStore.prototype.putObject = async function (object) {
	const [size, md5] = await writeFully(this.getResourcePath(object.bucket, object.key, 'object'), object.content);
	await this.putMetadata(object.bucket, object.key, object.metadata, md5);
	return {size, md5};
};

FilesystemStore.prototype.putPart = async function (bucket, uploadId, partNumber, content) {
	const partPath = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, partNumber.toString());
	const [size, md5] = await writeFully(partPath, content);
	await fs.writeFile(`${partPath}.md5`, md5);
	return {size, md5};
};

/** Answers the three multipart calls s3rver lacks; passes anything else on. */
function multipartExtras() {
	const check = authentication();
	return async (ctx, next) => {
		const match = /^\/([^/]+)\/?(.*)$/.exec(ctx.path);
		const query = ctx.querystring.split('&').map(pair => pair.split('=')[0]);
		if (match && !match[2] && ctx.method === 'GET' && query.includes('uploads')) {
			ctx.params = {bucket: decodeURIComponent(match[1])};
			return check(ctx, () => listMultipartUploads(ctx));
		}
		if (match && match[2] && ctx.method === 'GET' && query.includes('uploadId') && !query.includes('partNumber')) {
			ctx.params = {bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2])};
			return check(ctx, () => listParts(ctx));
		}
		if (match && match[2] && ctx.method === 'DELETE' && query.includes('uploadId')) {
			ctx.params = {bucket: decodeURIComponent(match[1])};
			return check(ctx, () => abortMultipartUpload(ctx));
		}
		return next();
	};
}

async function main() {
	const server = new S3rver({directory, port: Number(port), address: '127.0.0.1', silent: true, configureBuckets: buckets.map(name => ({name, configs: []}))});
	// Before s3rver's router (the last middleware), after its logger, XML and error handling.
	server.middleware.splice(server.middleware.length - 1, 0, multipartExtras());
	const address = await server.run();
	process.stdout.write(`${JSON.stringify({port: address.port})}\n`);
}

main().catch(error => {
	process.stderr.write(`${error?.stack ?? error}\n`);
	process.exit(1);
});
