// Writes the PWA icons (public/icons/*.png) with no image library: a white house on teal,
// rasterised here and PNG-encoded with node:zlib. Run once after changing the design:
// `node scripts/make-icons.mjs` (the PNGs are committed).
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const TEAL = [15, 118, 110];
const WHITE = [255, 255, 255];

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// Inside the house: a triangle roof over a square body with a door cut out (unit coordinates).
function isHouse(x, y, scale) {
  const cx = 0.5;
  const s = scale;
  const roofTop = 0.5 - 0.3 * s;
  const roofBase = 0.5 - 0.02 * s;
  const bodyBottom = 0.5 + 0.28 * s;
  const half = 0.32 * s;
  if (y >= roofTop && y <= roofBase) {
    const w = ((y - roofTop) / (roofBase - roofTop)) * half;
    return Math.abs(x - cx) <= w;
  }
  const bodyHalf = 0.22 * s;
  if (y > roofBase && y <= bodyBottom && Math.abs(x - cx) <= bodyHalf) {
    const door = Math.abs(x - cx) <= 0.06 * s && y >= bodyBottom - 0.16 * s;
    return !door;
  }
  return false;
}

function png(size, scale) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const colour = isHouse((x + 0.5) / size, (y + 0.5) / size, scale) ? WHITE : TEAL;
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const out = new URL("../public/icons/", import.meta.url);
writeFileSync(new URL("icon-192.png", out), png(192, 1));
writeFileSync(new URL("icon-512.png", out), png(512, 1));
// Maskable: the design inside the 80% safe zone.
writeFileSync(new URL("icon-maskable-512.png", out), png(512, 0.75));
writeFileSync(new URL("apple-touch-icon-180.png", out), png(180, 0.9));
