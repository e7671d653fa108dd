// A small DNS responder for the end-to-end tests (UDP, 127.0.0.1, the port given): SRV
// records (RFC 2782) of one test domain whose IMAP and submission point at the local
// operator, NXDOMAIN for every other name. The app asks it through RELAIS_DNS_RESOLVER (read
// by debug builds only), so that « type your address » discovery (RFC 6186) runs for real.
//
//   node dns-responder.mjs PORT DOMAIN IMAP_HOST IMAP_PORT SUBMISSION_PORT
import dgram from 'node:dgram';

const [port, domain, host, imapPort, submissionPort] = process.argv.slice(2);
const records = {
  [`_imap._tcp.${domain}`]: Number(imapPort),
  [`_submission._tcp.${domain}`]: Number(submissionPort),
};

/** The question's name (lower case) and where the question ends. */
function question(message) {
  const labels = [];
  let i = 12;
  while (i < message.length && message[i] !== 0) {
    const length = message[i];
    labels.push(message.subarray(i + 1, i + 1 + length).toString('ascii'));
    i += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 5 };
}

function encodeName(name) {
  const parts = name.split('.').filter(Boolean).map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function answer(query) {
  const { name, end } = question(query);
  const type = query.readUInt16BE(end - 4);
  const port = type === 33 ? records[name] : undefined;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const recursionDesired = query[2] & 0x01;
  header[2] = 0x84 | recursionDesired; // response, authoritative
  header[3] = port === undefined && !(name in records) ? 0x03 : 0x00; // NXDOMAIN, or no error
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(port === undefined ? 0 : 1, 6);
  const parts = [header, query.subarray(12, end)];
  if (port !== undefined) {
    const target = encodeName(host);
    const rdata = Buffer.alloc(6);
    rdata.writeUInt16BE(0, 0); // priority
    rdata.writeUInt16BE(1, 2); // weight
    rdata.writeUInt16BE(port, 4);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the question's name
    fixed.writeUInt16BE(33, 2); // SRV
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(60, 6); // TTL
    fixed.writeUInt16BE(rdata.length + target.length, 10);
    parts.push(fixed, rdata, target);
  }
  return Buffer.concat(parts);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (message, peer) => {
  try {
    socket.send(answer(message), peer.port, peer.address);
  } catch (error) {
    console.error(`dns-responder: unreadable question: ${error}`);
  }
});
socket.bind(Number(port), '127.0.0.1', () => console.log(`dns-responder on 127.0.0.1:${port} for ${domain}`));
