import zlib from 'node:zlib';
import type {Random} from './random.js';

/** Word stock for plausible gateway text: agent notes, chats, memory, logs. */
const WORDS = (
	'agent gateway tenant workflow memory document schedule webhook invoice customer ticket deploy ' +
	'release review summary incident latency retry queue budget quarter report meeting contract ' +
	'draft approval escalation policy dataset embedding vector index search prompt context token ' +
	'pipeline migration backup restore cluster region storage billing onboarding support roadmap ' +
	'feature request priority owner deadline status blocked resolved follow-up handoff channel slack ' +
	'email calendar reminder note insight metric dashboard alert threshold anomaly forecast'
).split(' ');

const NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Ken', 'Radia', 'Dennis', 'Frances', 'Edsger', 'Katherine', 'Tim', 'Hedy', 'John', 'Sophie', 'Yuki', 'Amara', 'Mateo', 'Priya'];
const SURNAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Liskov', 'Thompson', 'Perlman', 'Ritchie', 'Allen', 'Dijkstra', 'Johnson', 'Berners-Lee', 'Lamarr', 'McCarthy', 'Wilson', 'Tanaka', 'Okafor', 'Garcia', 'Patel'];
export const TENANT_NAMES = ['Acme Corp', 'Globex', 'Initech', 'Umbrella Labs', 'Stark Industries', 'Wayne Enterprises', 'Hooli', 'Pied Piper', 'Soylent', 'Tyrell', 'Cyberdyne', 'Wonka', 'Aperture', 'Massive Dynamic', 'Oscorp', 'Vandelay'];
export const AGENT_NAMES = ['Scout', 'Ledger', 'Herald', 'Archivist', 'Concierge', 'Sentinel', 'Quill', 'Navigator', 'Pulse', 'Mender'];
export const MODELS = ['claude-sonnet-4', 'gpt-4.1', 'llama-3.3-70b', 'mistral-large', 'qwen-2.5-72b'];
export const TOOL_NAMES = ['web_search', 'http_fetch', 'sql_query', 'send_email', 'calendar', 'file_read', 'file_write', 'shell', 'vector_search', 'create_ticket', 'slack_post', 'summarize'];

export function sentence(random: Random, min = 6, max = 16): string {
	const count = random.int(min, max);
	const words: string[] = [];
	for (let i = 0; i < count; i++) words.push(random.pick(WORDS));
	const text = words.join(' ');
	return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

export function paragraph(random: Random, sentences = 4): string {
	const parts: string[] = [];
	for (let i = 0; i < sentences; i++) parts.push(sentence(random));
	return parts.join(' ');
}

export function personName(random: Random): string {
	return `${random.pick(NAMES)} ${random.pick(SURNAMES)}`;
}

export function slugify(text: string): string {
	return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The markdown files of an agent's directory. */
export function agentMarkdown(random: Random, agentName: string, tools: readonly string[]): Record<string, string> {
	return {
		'SOUL.md': `# ${agentName}\n\n## Who I am\n${paragraph(random, 3)}\n\n## Values\n- ${sentence(random)}\n- ${sentence(random)}\n- ${sentence(random)}\n`,
		'BOOT.md': `# Boot sequence\n\n1. Load tenant context.\n2. ${sentence(random)}\n3. ${sentence(random)}\n\n${paragraph(random, 2)}\n`,
		'HEARTBEAT.md': `# Heartbeat\n\nEvery ${random.int(5, 60)} minutes:\n- ${sentence(random)}\n- ${sentence(random)}\n`,
		'TOOLS.md': `# Tools\n\n${tools.map(tool => `- \`${tool}\`: ${sentence(random, 4, 9)}`).join('\n')}\n`,
		'AGENTS.md': `# Peers\n\n${paragraph(random, 2)}\n`,
	};
}

/** A valid PNG of random RGB noise: real image bytes that do not compress. */
export function noisePng(random: Random, width: number, height: number): Buffer {
	const raw = Buffer.alloc((width * 3 + 1) * height);
	random.fill(raw);
	for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0; // filter byte: none
	const chunk = (type: string, data: Buffer): Buffer => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(zlib.crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // truecolour
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', zlib.deflateSync(raw, {level: 1})),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

/** A small valid PDF with a text page and an embedded compressed binary stream. */
export function samplePdf(random: Random, title: string, body: string, binaryBytes: number): Buffer {
	const text = `BT /F1 12 Tf 72 720 Td (${title.replace(/[()\\]/g, '')}) Tj 0 -18 Td (${body.slice(0, 80).replace(/[()\\]/g, '')}) Tj ET`;
	const blob = zlib.deflateSync(random.fill(Buffer.alloc(binaryBytes)), {level: 1});
	const objects: Buffer[] = [
		Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
		Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
		Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
		Buffer.from(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`),
		Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
		Buffer.concat([Buffer.from(`<< /Length ${blob.length} /Filter /FlateDecode >>\nstream\n`), blob, Buffer.from('\nendstream')]),
	];
	const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
	const offsets: number[] = [];
	let offset = parts[0]!.length;
	objects.forEach((object, index) => {
		const chunk = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), object, Buffer.from('\nendobj\n')]);
		offsets.push(offset);
		offset += chunk.length;
		parts.push(chunk);
	});
	const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map(o => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
	parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
	return Buffer.concat(parts);
}
